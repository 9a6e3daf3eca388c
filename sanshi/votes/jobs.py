"""The worker's work for votes: sending an owner's one-time code (services.ballot_code_send). Not
atomic: the code's hash is committed before the SMS gateway is called, and no database lock is
held while it answers; a failed send is retried with a new code."""

from sanshi.core.jobs import job_handler

from .services import SEND_CODE_JOB, ballot_code_send


@job_handler(SEND_CODE_JOB, atomic=False)
def send_code(payload: dict) -> dict:
    return ballot_code_send(code_id=int(payload["code"]))

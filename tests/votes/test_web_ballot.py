"""The web ballot: an owner asks for a one-time code by the phone number on file, the worker reads
that phone from the person register when it sends, the code is stored only as a keyed hash, expires,
works once and stops after a few wrong tries; one choice then counts for all the owner's units."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from sanshi.core.channels.sms import SmsBackend
from sanshi.core.crypto import lookup_hash
from sanshi.core.errors import TransitionNotAllowed, ValidationFailed
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Job
from sanshi.registry.models import Person
from sanshi.votes.models import Ballot, BallotCode
from sanshi.votes.selectors import vote_tally
from sanshi.votes.services import (
    CODE_TRIES,
    SEND_CODE_JOB,
    ballot_cast_web,
    ballot_code_request,
    ballot_code_verify,
)

WANG, LI = "13800000001", "13900000002"


class Gateway(SmsBackend):
    """The SMS gateway of the tests: keeps what it was asked to send; refuses while `down`."""

    sent: list[tuple[str, str]] = []
    down = False

    def send(self, phone: str, text: str) -> None:
        if Gateway.down:
            raise ConnectionError("gateway unreachable")
        Gateway.sent.append((phone, text))


@pytest.fixture
def sms(settings):
    settings.SANSHI_SMS_BACKEND = "tests.votes.test_web_ballot.Gateway"
    Gateway.sent, Gateway.down = [], False
    return Gateway


@pytest.fixture
def vote(world, compound, resolution):
    for address in ("3栋301室", "3栋302室"):
        compound.add(address, "90.00", "王建国", phone=WANG)
    compound.add("3栋303室", "110.00", "李秀英", phone=LI)
    compound.add("3栋304室", "100.00", "赵")
    return compound.open(resolution, item=4)


def _send():
    run_due_jobs(kinds=[SEND_CODE_JOB])
    return re.search(r"验证码 (\d{6})", Gateway.sent[-1][1]).group(1)


def test_an_owner_votes_with_a_code_sent_to_the_phone_on_file(vote, sms):
    # when 王 asks for a code with the number on file
    assert ballot_code_request(vote=vote, phone=WANG) is True
    assert not sms.sent  # sent by the worker, after the commit
    code = _send()
    # then it went to his phone; the table keeps a keyed hash, never the code
    assert sms.sent[-1][0] == WANG
    row = BallotCode.objects.get(vote=vote)
    assert code not in row.code_hash and row.expires_at > timezone.now()
    # a wrong code is refused and counted
    with pytest.raises(ValidationFailed):
        ballot_code_verify(vote=vote, phone=WANG, code="000000" if code != "000000" else "111111")
    assert BallotCode.objects.get(vote=vote).attempts == 1
    # the right one gives his person, once
    [wang] = ballot_code_verify(vote=vote, phone=WANG, code=code)
    with pytest.raises(ValidationFailed):
        ballot_code_verify(vote=vote, phone=WANG, code=code)
    # one choice counts for both his units: two ballots, one owner
    ballots = ballot_cast_web(vote=vote, person_ids=[wang], choice="yes")
    assert sorted(b.entry.address for b in ballots) == ["鼎城花园3栋301室", "鼎城花园3栋302室"]
    assert {(b.channel, b.person_id, b.recorded_by_id) for b in ballots} == {("web", wang, None)}
    tally = vote_tally(vote)
    assert (tally.participating.owners, str(tally.participating.area)) == (1, "180.00")
    with pytest.raises(TransitionNotAllowed):  # all his units have voted
        ballot_cast_web(vote=vote, person_ids=[wang], choice="no")


def test_the_code_goes_to_the_phone_on_file_when_it_is_sent(vote, sms):
    assert ballot_code_request(vote=vote, phone=LI)
    # the register is corrected before the worker sends
    Person.objects.filter(name="李秀英").update(phone="13700000003", phone_hash=lookup_hash("13700000003"))
    _send()
    assert sms.sent[-1][0] == "13700000003"


def test_a_number_not_on_the_roll_gets_the_same_answer_and_no_message(vote, sms):
    assert ballot_code_request(vote=vote, phone="13600000009") is False
    assert not Job.objects.filter(kind=SEND_CODE_JOB).exists() and not BallotCode.objects.exists()
    with pytest.raises(ValidationFailed):
        ballot_code_request(vote=vote, phone="12345")


def test_asking_again_at_once_sends_nothing_new(vote, sms):
    assert ballot_code_request(vote=vote, phone=WANG) is True
    assert ballot_code_request(vote=vote, phone=WANG) is False
    assert BallotCode.objects.count() == 1


def test_a_code_expires(vote, sms):
    ballot_code_request(vote=vote, phone=WANG)
    code = _send()
    BallotCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationFailed):
        ballot_code_verify(vote=vote, phone=WANG, code=code)


def test_too_many_wrong_codes_end_the_code(vote, sms):
    ballot_code_request(vote=vote, phone=WANG)
    code = _send()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(CODE_TRIES):
        with pytest.raises(ValidationFailed):
            ballot_code_verify(vote=vote, phone=WANG, code=wrong)
    with pytest.raises(ValidationFailed):
        ballot_code_verify(vote=vote, phone=WANG, code=code)
    assert not Ballot.objects.exists()


def test_a_failed_send_is_retried_with_a_new_code(vote, sms):
    ballot_code_request(vote=vote, phone=WANG)
    sms.down = True
    run_due_jobs(kinds=[SEND_CODE_JOB])
    job = Job.objects.get(kind=SEND_CODE_JOB)
    assert job.status == "pending" and "unreachable" in job.last_error and WANG not in job.last_error
    first_hash = BallotCode.objects.get().code_hash
    sms.down = False
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    code = _send()
    assert BallotCode.objects.get().code_hash != first_hash
    assert ballot_code_verify(vote=vote, phone=WANG, code=code)


def test_no_web_ballot_without_sms(vote, settings):
    settings.SANSHI_SMS_BACKEND = "disabled"
    with pytest.raises(TransitionNotAllowed):
        ballot_code_request(vote=vote, phone=WANG)


def test_a_co_owned_unit_is_voted_once_by_whichever_owner_comes_first(world, compound, resolution, sms):
    from sanshi.votes.services import unit_owner_add

    shared = compound.add("4栋401室", "100.00", "王建国", phone=WANG)
    unit_owner_add(actor=world.secretary, unit=shared, name="李秀英", phone=LI)
    compound.add("4栋402室", "60.00", "李秀英", phone=LI)
    vote = compound.open(resolution, item=4)
    ballot_code_request(vote=vote, phone=WANG)
    wang = ballot_code_verify(vote=vote, phone=WANG, code=_send())
    assert len(ballot_cast_web(vote=vote, person_ids=wang, choice="yes")) == 1  # 401, which he co-owns
    ballot_code_request(vote=vote, phone=LI)
    li = ballot_code_verify(vote=vote, phone=LI, code=_send())
    [ballot] = ballot_cast_web(vote=vote, person_ids=li, choice="no")  # 401 has voted: only her own 402
    assert ballot.entry.address == "鼎城花园4栋402室"
    assert vote_tally(vote).participating.owners == 2  # {王, 李} for 401 and {李} for 402: two heads


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_ballots_for_the_same_owner_at_once_give_one(postgres_only, world, compound, resolution):
    from ..helpers import run_in_threads

    for address in ("6栋601室", "6栋602室"):
        compound.add(address, "90.00", "王建国", phone=WANG)
    vote = compound.open(resolution, item=4)
    [wang] = Person.objects.filter(name="王建国").values_list("pk", flat=True)
    refused: list[str] = []

    def cast():
        try:
            ballot_cast_web(vote=vote, person_ids=[wang], choice="yes")
        except TransitionNotAllowed as exc:
            refused.append(str(exc))

    run_in_threads(cast)
    assert Ballot.objects.filter(vote=vote).count() == 2 and len(refused) == 1
    assert vote_tally(vote).participating.owners == 1

"""What intake does when a case moves (registered on the core's moves, run in their transaction)
and who sees a case through intake (the requests one submitted)."""

from sanshi.cases import scope
from sanshi.cases.hooks import after_move, personal_names
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import Action
from sanshi.core.jobs import enqueue
from sanshi.triage.services import record_decision

from .models import Request

FEEDBACK_JOB = "feedback_reporter"


@after_move(Action.TRIAGE)
def record_triage_decision(*, case: Case, event: CaseEvent) -> None:
    """Keep the operator's decision beside the suggestion of the case's first request (a correction
    becomes training data for the nightly retraining)."""
    request = Request.objects.filter(case=case).order_by("received_at", "id").first()
    if request is None:
        return
    data = event.data
    record_decision(actor=event.actor, request=request, kind=data["kind"], catalogue_code=data["catalogue_code"],
                    urgent=bool(data.get("urgent")), department=data.get("department") or "")


@after_move(Action.MERGE)
def move_requests_to_kept_case(*, case: Case, event: CaseEvent) -> None:
    """A duplicate's requests (and so their reporters) join the case it was merged into."""
    Request.objects.filter(case=case).update(case_id=event.data["into"])


@after_move(Action.CLOSE)
def feed_back_to_reporters(*, case: Case, event: CaseEvent) -> None:
    """Good rating: record feedback for every reporter, to go back on their original channel (分层反馈)."""
    feedback = f"您反映的事项（{case.number}）已办结：{case.result or case.resolution}"
    for request in Request.objects.filter(case=case).only("pk"):
        Request.objects.filter(pk=request.pk).update(feedback=feedback, feedback_at=event.at)
        enqueue(FEEDBACK_JOB, {"request": request.pk})


def requests_submitted(user):
    """The cases of the requests `user` submitted (a hotline system's work orders, a grid worker's)."""
    return Request.objects.filter(submitted_by=user, case__isnull=False).values("case_id")


@personal_names
def reporters(case: Case) -> list[str]:
    """The reporters' names: a public notice of the case names them as 张* (sanshi.notices)."""
    return list(Request.objects.filter(case=case).exclude(reporter_name="").values_list("reporter_name", flat=True))


def register() -> None:
    scope.register_audience(requests_submitted)

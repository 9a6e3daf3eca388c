"""Cases written as their rows — the case, its request, its event rows, ratings, visits and clocks —
the way the services leave them: the figures are derived from these rows alone.
`tests/kpis/test_rollups.py` drives the real services through the same steps and reads the same
figures."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sanshi.cases.models import Case, CaseEvent
from sanshi.evaluation.models import Evaluation
from sanshi.intake.channels import CHANNEL_OF, SubChannel
from sanshi.intake.models import Request
from sanshi.rapid.models import Clock
from sanshi.supervision.models import FollowUpVisit

TZ = ZoneInfo("Asia/Shanghai")
LEVELS = {"HOUSEHOLD": "grid", "SHARED": "community", "PUBLIC": "street"}
BODIES = {"grid": "grid_neighbour_meeting", "community": "community_review_meeting",
          "street": "street_joint_meeting", "district": "district_joint_meeting"}
_codes = itertools.count(1)


def at(day: str, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    """A local time: at("2026-03-02", 9) is 2026-03-02 09:00 Asia/Shanghai."""
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


@dataclass
class Story:
    """What happened to one case, in order."""

    grid: object  # the OrgNode the request names
    received: datetime
    sub_channel: str = "web"
    kind: str = ""  # "" = still in the pool
    triaged: datetime | None = None
    retriaged_from: str = ""  # the kind it was first triaged as
    escalations: list[str] = field(default_factory=list)  # the levels it was escalated to, in order
    closed: datetime | None = None
    close: str = "good"  # good | lapsed | final_bad
    ratings: list[str] = field(default_factory=list)  # "good" / "bad", all rounds
    visit: str = ""  # satisfied | basically | unsatisfied, recorded after close
    deadline_due: datetime | None = None
    urgent: bool = False
    steps: dict = field(default_factory=dict)  # 1-5-10: name → (minutes allowed, done after minutes or None)
    merged_into: Case | None = None


def write(story: Story) -> Case:
    """Write the rows of `story` and return its case."""
    grid = story.grid
    level = LEVELS.get(story.kind, "")
    org = grid.ancestor(level) if level else None
    for target in story.escalations:
        level, org = target, grid.ancestor(target)
    status = ("closed" if story.closed or story.merged_into else "triaged" if story.triaged else "received")
    case = Case.objects.create(
        number=f"K{next(_codes):06d}", title="测试事项", status=status, kind=story.kind, grid=grid, org=org,
        level=level, body=BODIES.get(level, ""), urgent=story.urgent, escalations=len(story.escalations),
        closed_at=story.closed)
    Case.objects.filter(pk=case.pk).update(created_at=story.received)
    request = Request.objects.create(
        tracking_code=f"TK{next(_codes):08d}", text="测试诉求", channel=CHANNEL_OF[SubChannel(story.sub_channel)],
        sub_channel=story.sub_channel, grid=grid, received_at=story.received, case=case)
    events = [("open", "", "received", story.received, {"request": request.pk, "channel": request.channel})]
    if story.merged_into is not None:
        events.append(("merge", "received", "closed", story.received + timedelta(hours=1),
                       {"into": story.merged_into.pk}))
        Request.objects.filter(pk=request.pk).update(case=story.merged_into)
    if story.triaged:
        first = story.retriaged_from or story.kind
        events.append(("triage", "received", "triaged", story.triaged,
                       {"kind": first, "level": LEVELS[first], "urgent": story.urgent}))
        if story.retriaged_from:
            events.append(("retriage", "triaged", "triaged", story.triaged + timedelta(hours=1),
                           {"kind": story.kind, "from_kind": story.retriaged_from, "level": LEVELS[story.kind]}))
    step = story.triaged or story.received
    for i, target in enumerate(story.escalations):
        step = step + timedelta(days=1 + i)
        events.append(("escalate", "evaluating", "deliberating", step, {"to_level": target, "round": i + 1}))
    if story.closed:
        data = {"lapsed": {"lapsed": True}, "final_bad": {"final_bad_rating": True}}.get(story.close, {})
        events.append(("close", "evaluating", "closed", story.closed, data))
    for action, source, target, when, data in events:
        CaseEvent.objects.create(case=case, action=action, from_status=source, to_status=target, at=when, data=data,
                                 actor_label="测试")
    for i, rating in enumerate(story.ratings):
        Evaluation.objects.create(case=case, round=1, rating=rating, group="democratic_supervisor",
                                  evaluator_role="democratic_supervisor", at=(story.closed or story.received) - timedelta(
                                      minutes=len(story.ratings) - i))
    if story.visit:
        FollowUpVisit.objects.create(case=case, grid=grid, created_at=story.closed, due_at=story.closed + timedelta(days=3),
                                     done_at=story.closed + timedelta(days=1), satisfaction=story.visit)
    if story.deadline_due:
        Clock.objects.create(case=case, name="deadline", started_at=story.triaged or story.received,
                             due_at=story.deadline_due, done_at=story.closed if story.closed else None)
    for name, (allowed, done_after) in story.steps.items():
        Clock.objects.create(case=case, name=name, started_at=story.received,
                             due_at=story.received + timedelta(minutes=allowed),
                             done_at=story.received + timedelta(minutes=done_after) if done_after is not None else None)
    return case

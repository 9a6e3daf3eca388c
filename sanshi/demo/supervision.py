"""The demo's supervision: the cases built by sanshi/demo/builder.py already have deadlines, ledger
entries (PUBLIC) and follow-up visits (closed HOUSEHOLD) — made by the real services at triage and
closing. This puts the ledger in every state (unclaimed, claimed with progress, overdue at each rung
of the ladder, fired by the real sweep) and records some visits (satisfied, unsatisfied, overdue)."""

from datetime import date, timedelta

from django.utils import timezone

from sanshi.intake.channels import SubChannel
from sanshi.registry.models import OrgNode, Role
from sanshi.supervision import calendar as wd
from sanshi.supervision.models import FollowUpVisit, LedgerEntry, Satisfaction
from sanshi.supervision.services import (
    calendar_exceptions,
    calendar_seed,
    follow_up_record,
    follow_ups_sweep,
    ledger_claim,
    ledger_report_progress,
    ledger_sweep,
)

from . import content

PROGRESS_NOTES = ["已召开街道联席会专题研究，明确牵头科室", "已完成现场勘查，制定整改方案", "施工单位已进场，完成约一半工程量",
                  "已协调区级部门报到，资金已落实", "主体工程完工，待验收"]
VISIT_NOTES = {"satisfied": "居民表示问题已解决，感谢网格员", "basically": "基本解决，希望后续多关注",
               "unsatisfied": "居民反映夜间仍有噪声，希望再次协调"}


def _working_days_before(today: date, n: int, exceptions) -> date:
    day, counted = today, 0
    while counted < n:
        day -= timedelta(days=1)
        if wd.is_workday(day, exceptions):
            counted += 1
    return day


def build_supervision(demo) -> None:
    calendar_seed()
    exceptions = calendar_exceptions()
    today = timezone.localdate()
    street = demo.streets[0]
    leader = demo.local(Role.STREET_OFFICER, street)
    entries = list(LedgerEntry.objects.filter(street=street, closed_at__isnull=True).select_related("case", "street")
                   .order_by("id"))
    # overdue at each rung: the deadline 1, 2 and 5 working days ago → reminded, warned, notified
    overdue = {0: 1, 1: 2, 2: 5}
    for index, entry in enumerate(entries):
        if index % 5 == 4:
            continue  # unclaimed
        ledger_claim(actor=leader, entry=entry)
        for step in range(1 + index % 3):
            ledger_report_progress(actor=leader, entry=entry, note=PROGRESS_NOTES[(index + step) % len(PROGRESS_NOTES)],
                                   percent=min(90, 20 * (step + 1) + 5 * (index % 4)))
        if index in overdue:  # a past deadline (as if claimed and agreed earlier); the real sweep climbs
            due = wd.end_of_day(_working_days_before(today, overdue[index], exceptions))
            LedgerEntry.objects.filter(pk=entry.pk).update(deadline_at=due, next_rung_at=due,
                                                           deadline_reason="演示：已超期")
    rungs = ledger_sweep()
    for other in demo.streets[1:]:  # the other street: some overdue, unclaimed, reminded only
        entry = LedgerEntry.objects.filter(street=other, closed_at__isnull=True).order_by("id").first()
        if entry is not None:
            due = wd.end_of_day(_working_days_before(today, 1, exceptions))
            LedgerEntry.objects.filter(pk=entry.pk).update(deadline_at=due, next_rung_at=due)
    rungs += ledger_sweep()

    # the demo grid leader's grid (demo-gridleader @ DS01-G01) gets closed household matters of its own
    demo_grid = OrgNode.objects.get(code="DS01-G01")
    for code in ("H2", "H1", "H3"):
        template = demo.rng.choice(content.REQUESTS[code])
        demo.one_case(code, demo_grid, template, SubChannel.GRID_VISIT, "closed")
    visits = list(FollowUpVisit.objects.filter(done_at__isnull=True).select_related("case", "grid").order_by("id"))
    choices = [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]
    recorded = 0
    for index, visit in enumerate(visits):
        if visit.grid.code == "DS01-G01" or index % 3 == 0:
            continue  # open: the demo grid leader's to-do list
        satisfaction = choices[index % len(choices)]
        follow_up_record(actor=demo.local(Role.GRID_LEADER, visit.grid), visit=visit, satisfaction=satisfaction,
                         contact_method=["phone", "door", "wechat"][index % 3], note=VISIT_NOTES[satisfaction])
        recorded += 1
    open_visits = FollowUpVisit.objects.filter(done_at__isnull=True).order_by("id")
    late = list(open_visits.values_list("pk", flat=True)[:2])
    FollowUpVisit.objects.filter(pk__in=late).update(due_at=wd.end_of_day(_working_days_before(today, 1, exceptions)))
    follow_ups_sweep()
    demo.out(f"  台账：{LedgerEntry.objects.count()} 项（督办 {rungs} 次）；回访：{FollowUpVisit.objects.count()} 项，"
             f"已登记 {recorded} 项")

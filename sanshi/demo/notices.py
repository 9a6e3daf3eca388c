"""The demo's notice board (张榜公示). The builder drives its cases through the real services: each
publicised case gets its notice from the case's move (sanshi.notices). Two things are the demo's own:

- `period_over(case)`: the builder asks for evaluation right after posting (every demo case is made
  "now" and moved back in time afterwards), so the notice's period is ended first, as if it had run;
- `build_notices(demo)`, run once the cases are moved back in time: each notice takes its posting
  time from its case's timeline, and where evaluation followed within the period the earlier part of
  that timeline moves further back, so the board is consistent (evaluation only after the period).
  Then the passed owners' vote of 东门社区 (sanshi/demo/votes.py) is publicised now: an open notice
  with its vote and tally, a published comment and an objection waiting for moderation — so
  `demo-secretary` trying to request evaluation too early is refused, with the end date."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.cases.services import case_publicise
from sanshi.cases.transitions import Action
from sanshi.intake.models import Request
from sanshi.notices.models import Comment, Notice
from sanshi.notices.selectors import current_notice
from sanshi.notices.services import comment_moderate, comment_submit, period_days
from sanshi.notices.transitions import CommentKind, NoticeAction
from sanshi.registry.models import Role
from sanshi.supervision.services import calendar_exceptions, deadline_after
from sanshi.votes.models import Vote

from . import content

DEMO_COMMUNITY = "DS01"  # 东门社区
TEXT = "现将业主表决结果和管理办法予以公示。公示期内如有意见或异议，请在公示栏网页提出，或到东门社区居委会反映。"
COMMENTS = [  # (kind, text, name, published)
    (CommentKind.COMMENT, "支持！晚上终于不会有外来车辆乱停了，希望物业按时巡查。", "刘建国", True),
    (CommentKind.OBJECTION, "临时停车前15分钟免费太短，送老人看病来不及，请再议一下。", "陈秀英", False),
]


def period_over(case: Case) -> None:
    """The demo only: the case's posted notice as if its objection period had run out."""
    Notice.objects.filter(case_id=case.pk, status="posted").update(
        objection_until=timezone.now() - timedelta(seconds=1))


def _align(exceptions) -> int:
    """Each notice published when its case's timeline says; the timeline before a notice moved back by
    whole days where evaluation (or a reopening) came within the period. Returns how many moved."""
    moved = 0
    for case_id in Notice.objects.order_by().values_list("case_id", flat=True).distinct():
        for notice in Notice.objects.filter(case_id=case_id).select_related("event").order_by("-event__at", "-id"):
            posted = CaseEvent.objects.get(pk=notice.event_id)
            after = (CaseEvent.objects.filter(case_id=case_id, at__gt=posted.at,
                                              action__in=[Action.REQUEST_EVALUATION, Action.REOPEN])
                     .order_by("at", "id").values_list("at", flat=True).first())
            days = period_days(notice.kind)
            shift = timedelta(0)
            while after is not None and deadline_after(posted.at - shift, days, exceptions) >= after:
                shift += timedelta(days=1)
            if shift:
                CaseEvent.objects.filter(case_id=case_id, at__lte=posted.at).update(at=F("at") - shift)
                Case.objects.filter(pk=case_id).update(created_at=F("created_at") - shift)
                Request.objects.filter(case_id=case_id).update(received_at=F("received_at") - shift)
                posted.refresh_from_db()
                moved += 1
            Notice.objects.filter(pk=notice.pk).update(
                published_at=posted.at, objection_until=deadline_after(posted.at, days, exceptions))
    return moved


def _result(case: Case) -> str:
    """The handling note of the case's own catalogue item that speaks of the vote (the demo's texts
    fit their item: tests/demo/test_demo_content.py)."""
    code = case.catalogue_item.code if case.catalogue_item is not None else ""
    notes = content.HANDLING_NOTES_BY_CODE.get(code) or content.HANDLING_NOTES[case.kind]
    return next((n for n in notes if "表决" in n), notes[0])


def build_notices(demo) -> None:
    moved = _align(calendar_exceptions())
    vote = (Vote.objects.filter(passed=True, electorate__node__parent__code=DEMO_COMMUNITY)
            .select_related("agenda_item__case", "electorate__node").order_by("-closed_at").first())
    case = vote.agenda_item.case if vote is not None else None
    if case is None or case.status != Status.HANDLING:
        demo.out(f"  张榜公示：{Notice.objects.count()} 条（{moved} 件事项的时间线按公示期前移）")
        return
    secretary = demo.local(Role.COMMUNITY_SECRETARY, vote.electorate.node.parent)
    case_publicise(actor=secretary, case=case, result=_result(case), notice=TEXT)
    notice = current_notice(case)
    assert notice is not None  # the move posted it (hooks)
    for kind, text, name, published in COMMENTS:
        made = comment_submit(actor=None, notice=notice, kind=kind, text=text, name=name)
        if published:
            comment_moderate(actor=secretary, comment=Comment.objects.select_related("notice__case").get(pk=made.pk),
                             decision=NoticeAction.PUBLISH)
    demo.out(f"  张榜公示：{Notice.objects.count()} 条，东门社区停车办法公示至 "
             f"{timezone.localtime(notice.objection_until):%Y-%m-%d}（异议期内，1 条异议待审核）")

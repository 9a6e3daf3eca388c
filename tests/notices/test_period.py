"""The objection period is enforced: evaluation can be requested only after it ends (409 naming the
end before), never while an objection waits for moderation; it counts working days on the holiday
calendar, per kind (SANSHI_NOTICE_PERIOD_DAYS)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.notices.models import Comment, Notice
from sanshi.notices.services import notice_periods
from sanshi.supervision.models import CalendarDay

from ..helpers import act, moves
from .conftest import comment, pdf_text, publicise

LOCAL = ZoneInfo(django_settings.TIME_ZONE)


def at(*parts: int) -> datetime:
    """A local time (the district's)."""
    return datetime(*parts, tzinfo=LOCAL)


FRIDAY = at(2026, 12, 4, 10, 0)  # a Friday


def until_text(notice: Notice) -> str:
    return timezone.localtime(notice.objection_until).strftime("%Y-%m-%d %H:%M")


def test_evaluation_is_refused_until_the_period_ends_then_allowed(world, client, token_for):
    """Given a shared matter publicised on a Friday (5 working days: Mon 7 – Fri 11 December), a request
    for evaluation a minute before the period ends is refused with its end date, a minute after it
    goes through and the notice is concluded."""
    with time_machine.travel(FRIDAY, tick=False):
        posted = publicise(world, client, token_for)
        left = comment(client, posted.notice.pk, kind="comment", text="支持", name="王五福", phone="13987654321")
    notice = posted.notice
    assert timezone.localtime(notice.objection_until) == at(2026, 12, 11, 23, 59, 59)
    with time_machine.travel(notice.objection_until - timedelta(minutes=1), tick=False):
        refused = act(client, token_for(world.secretary), posted.case_id, action="request_evaluation")
        assert refused.status_code == 409
        assert refused.json()["detail"] == "公示期未满：异议期至 2026-12-11 23:59 止，期满后才能提请评价"
        assert Case.objects.get(pk=posted.case_id).status == "publicised"
    with time_machine.travel(notice.objection_until + timedelta(minutes=1), tick=False):
        allowed = act(client, token_for(world.secretary), posted.case_id, action="request_evaluation")
        assert allowed.status_code == 200 and allowed.json()["status"] == "evaluating"
    notice.refresh_from_db()
    assert notice.status == "concluded"
    assert "公示期已满，事项已提请评价" in pdf_text(client.get(f"/notices/{notice.pk}.pdf").content)
    # the commenter's phone served the check of the comments: erased once the matter goes to evaluation,
    # the name kept only as the board shows it, one audit row with the count
    kept = Comment.objects.get(pk=left.json()["id"])
    assert (kept.phone, kept.name) == ("", "王**")
    assert AuditEntry.objects.filter(event="personal_data.anonymise", obj_type="notice_comments", obj_id="1").exists()
    assert notice.events.values_list("action", flat=True).last() == "conclude"
    assert moves(posted.case_id)[-2:] == ["publicise", "request_evaluation"]


def test_the_case_page_offers_no_evaluation_before_the_period_ends_and_refuses_it(world, client, token_for):
    with time_machine.travel(FRIDAY, tick=False):
        posted = publicise(world, client, token_for)
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False):
        client.force_login(world.secretary)
        page = client.get(f"/staff/cases/{posted.case_id}/").content.decode()
        assert 'id="case-notices"' in page and f"/notices/{posted.notice.pk}/" in page
        assert "异议期至 2026-12-11 23:59，期满后才能提请评价" in page
        # no 提请评价 button while the period runs: the next step says until when
        assert 'id="action-request_evaluation"' not in page
        assert 'id="evaluation-wait">公示期未满：异议期至 2026-12-11 23:59 止，期满后才能提请评价' in page
        refused = client.post(f"/staff/cases/{posted.case_id}/", {"action": "request_evaluation"})
    assert refused.status_code == 400
    assert "公示期未满：异议期至 2026-12-11 23:59 止，期满后才能提请评价" in refused.content.decode()
    assert Case.objects.get(pk=posted.case_id).status == "publicised"
    with time_machine.travel(at(2026, 12, 14, 9, 0), tick=False):  # the period is over: the step is offered
        client.force_login(world.secretary)  # a new session (the idle rule ended the old one)
        page = client.get(f"/staff/cases/{posted.case_id}/").content.decode()
    assert 'id="action-request_evaluation"' in page and 'id="evaluation-wait"' not in page


def test_working_days_skip_weekends_and_holidays(world, client, token_for):
    """A holiday on Wednesday 9 December moves the end to Monday 14; a make-up working day on Saturday
    12 brings it back to that Saturday."""
    CalendarDay.objects.create(date=date(2026, 12, 9), is_workday=False, name="测试假日")
    with time_machine.travel(FRIDAY, tick=False):
        first = publicise(world, client, token_for, title="第一件")
    assert timezone.localtime(first.notice.objection_until) == at(2026, 12, 14, 23, 59, 59)
    CalendarDay.objects.create(date=date(2026, 12, 12), is_workday=True, name="调休上班")
    with time_machine.travel(FRIDAY, tick=False):
        second = publicise(world, client, token_for, title="第二件")
    assert timezone.localtime(second.notice.objection_until) == at(2026, 12, 12, 23, 59, 59)


def test_the_period_is_a_setting_per_kind(world, client, token_for, settings):
    settings.SANSHI_NOTICE_PERIOD_DAYS = "PUBLIC=10,SHARED=3"
    with time_machine.travel(FRIDAY, tick=False):
        shared = publicise(world, client, token_for, title="共事")
        public = publicise(world, client, token_for, kind="PUBLIC", title="公事")
    assert timezone.localtime(shared.notice.objection_until).date() == date(2026, 12, 9)
    assert timezone.localtime(public.notice.objection_until).date() == date(2026, 12, 18)
    settings.SANSHI_NOTICE_PERIOD_DAYS = "SHARED=3"
    assert notice_periods() == {"SHARED": 3}  # PUBLIC: the default 5
    for wrong in ("SHARED", "HOUSEHOLD=3", "SHARED=three"):
        settings.SANSHI_NOTICE_PERIOD_DAYS = wrong
        with pytest.raises(ImproperlyConfigured):
            notice_periods()


def test_a_pending_objection_holds_the_evaluation_after_the_period(world, client, token_for):
    with time_machine.travel(FRIDAY, tick=False):
        posted = publicise(world, client, token_for)
        made = comment(client, posted.notice.pk, kind="objection", text="收费标准没有征求全体业主意见")
        assert made.status_code == 201
        assert comment(client, posted.notice.pk, kind="comment", text="支持").status_code == 201
    with time_machine.travel(posted.notice.objection_until + timedelta(hours=1), tick=False):
        sec = token_for(world.secretary)
        # the period is over: no new comment, and the waiting objection holds the evaluation
        late = comment(client, posted.notice.pk, kind="objection", text="晚了")
        assert late.status_code == 409 and "公示期已于 2026-12-11 23:59 结束" in late.json()["detail"]
        refused = act(client, sec, posted.case_id, action="request_evaluation")
        assert refused.status_code == 409 and refused.json()["detail"] == "还有 1 条居民异议待审核，审核后才能提请评价"
        decided = client.post(f"/api/v1/notice-comments/{made.json()['id']}/moderation",
                              {"decision": "publish", "reason": "已答复：收费标准经业主大会表决"},
                              content_type="application/json", **sec)
        assert decided.status_code == 200 and decided.json()["status"] == "published"
        assert act(client, sec, posted.case_id, action="request_evaluation").status_code == 200

"""Residents comment or object during the period; nothing shows until staff moderate it (publish,
hide with a reason, uphold an objection — which sends the matter back to deliberation); a limit
per address; bad input answered in Chinese, never a 500; one transaction per action."""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanshi.audit.models import AuditJournal
from sanshi.cases.models import Case, CaseEvent
from sanshi.core.errors import TransitionNotAllowed
from sanshi.notices import services
from sanshi.notices.models import Comment, Notice, NoticeEvent

from ..helpers import act, moves, notice_period_over
from .conftest import COMMENTER, COMMENTER_PHONE, PARTICIPANT, comment

MODERATE = "/api/v1/notice-comments/{}/moderation"


def moderate(client, headers, comment_id, decision, reason=""):
    return client.post(MODERATE.format(comment_id), {"decision": decision, "reason": reason},
                       content_type="application/json", **headers)


def audit_events(prefix: str) -> list[str]:
    from sanshi.audit.models import AuditEntry

    return [e for e in [*AuditEntry.objects.values_list("event", flat=True),
                        *AuditJournal.objects.values_list("event", flat=True)] if e.startswith(prefix)]


def test_an_objection_is_shown_only_once_published_and_a_hidden_one_never(world, client, token_for, posted):
    shown = comment(client, posted.notice.pk, kind="objection", text="停车费标准偏高，请再议", name=COMMENTER,
                    phone=COMMENTER_PHONE)
    hidden = comment(client, posted.notice.pk, kind="comment", text="这是广告：加微信领红包")
    assert shown.status_code == hidden.status_code == 201 and shown.json()["status"] == "pending"
    page = client.get(f"/notices/{posted.notice.pk}/").content.decode()
    assert "停车费标准偏高" not in page and "加微信领红包" not in page and "还没有公开的意见" in page
    # the case's handler is told, in the app, that residents wrote (after commit: a notification row)
    from sanshi.core.models import Notification

    assert Notification.objects.filter(recipient=world.secretary, subject__startswith="公示收到居民异议").exists()

    # the moderation page lists both for the secretary, the phone masked
    client.force_login(world.secretary)
    queue = client.get("/staff/notices/").content.decode()
    assert "停车费标准偏高" in queue and "加微信领红包" in queue and "139****4321" in queue
    assert 'value="publish"' in queue and 'value="hide"' in queue and queue.count('value="accept"') == 1
    assert COMMENTER_PHONE not in queue
    refused = client.post(f"/staff/notices/comments/{hidden.json()['id']}/", {"decision": "hide", "reason": ""})
    assert refused.status_code == 400 and "不予公开须写明理由" in refused.content.decode()
    done = client.post(f"/staff/notices/comments/{hidden.json()['id']}/", {"decision": "hide", "reason": "广告信息"})
    assert done.status_code == 302
    assert moderate(client, posted.convener, shown.json()["id"], "publish", "已转议事会参考").status_code == 200
    client.logout()

    page = client.get(f"/notices/{posted.notice.pk}/").content.decode()
    assert "停车费标准偏高，请再议" in page and "王**" in page and "加微信领红包" not in page
    listed = client.get("/api/v1/notices").json()[0]["comments"]
    assert [(c["kind"], c["status"], c["name"]) for c in listed] == [("objection", "published", "王**")]
    rows = NoticeEvent.objects.filter(comment__isnull=False).order_by("id").values_list("action", "to_status")
    assert list(rows) == [("submit", "pending"), ("submit", "pending"), ("hide", "hidden"), ("publish", "published")]
    assert audit_events("notice.comment") == ["notice.comment", "notice.comment", "notice.comment.hide",
                                              "notice.comment.publish"]
    assert Comment.objects.get(pk=hidden.json()["id"]).reason == "广告信息"


def test_a_published_comment_can_be_taken_down_with_a_reason_while_the_notice_is_posted(world, client, posted):
    """Given a comment the secretary published: the moderation page lists it under what is shown, and
    taking it down needs a reason; then the notice no longer shows it, and the event and audit row say so."""
    made = comment(client, posted.notice.pk, kind="comment", text="欢迎加微信看房源", name=COMMENTER)
    client.force_login(world.secretary)
    assert client.post(f"/staff/notices/comments/{made.json()['id']}/", {"decision": "publish"}).status_code == 302
    assert "欢迎加微信看房源" in client.get(f"/notices/{posted.notice.pk}/").content.decode()
    queue = client.get("/staff/notices/").content.decode()
    shown = queue.split('id="shown"')[1]
    assert "已公开的意见（公示中）" in queue and "欢迎加微信看房源" in shown and 'value="hide"' in shown
    refused = client.post(f"/staff/notices/comments/{made.json()['id']}/", {"decision": "hide", "reason": ""})
    assert refused.status_code == 400 and "不予公开须写明理由" in refused.content.decode()
    done = client.post(f"/staff/notices/comments/{made.json()['id']}/", {"decision": "hide", "reason": "广告"})
    assert done.status_code == 302
    assert "欢迎加微信看房源" not in client.get(f"/notices/{posted.notice.pk}/").content.decode()
    assert 'id="shown"' not in client.get("/staff/notices/").content.decode()
    last = NoticeEvent.objects.filter(comment_id=made.json()["id"]).order_by("id").last()
    assert (last.action, last.from_status, last.to_status, last.note) == ("hide", "published", "hidden", "广告")
    assert audit_events("notice.comment.hide") == ["notice.comment.hide"]
    # the supervision committee sees the case but does not moderate it: nothing listed
    client.force_login(world.committee)
    assert client.post(f"/staff/notices/comments/{made.json()['id']}/", {"decision": "publish"}).status_code == 403


def test_an_upheld_objection_sends_the_matter_back_to_deliberation(world, client, token_for, posted):
    made = comment(client, posted.notice.pk, kind="objection", text="公示的收费标准与业主大会决定不一致")
    comment_id = made.json()["id"]
    missing = moderate(client, posted.convener, comment_id, "accept", "")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"reason"}
    upheld = moderate(client, posted.convener, comment_id, "accept", "经核实标准有误，提交社区评议会重新议定")
    assert upheld.status_code == 200, upheld.content
    assert upheld.json() == {"id": comment_id, "status": "accepted", "case_status": "deliberating"}
    case = Case.objects.get(pk=posted.case_id)
    assert case.status == "deliberating"
    reopen = CaseEvent.objects.get(case=case, action="reopen")
    assert (reopen.from_status, reopen.to_status, reopen.actor) == ("publicised", "deliberating", world.secretary)
    assert reopen.public_note == "异议成立·重新议事：经核实标准有误，提交社区评议会重新议定"
    assert moves(case.pk)[-2:] == ["publicise", "reopen"]
    notice = Notice.objects.get(pk=posted.notice.pk)
    assert notice.status == "reopened"
    # the public see it: the objection upheld with staff's note, the notice reopened, the progress
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "异议成立" in page and "经核实标准有误" in page and "事项已退回重新议事" in page
    assert "提出意见或异议" not in page  # no more comments on this notice
    from .conftest import pdf_text

    printed = pdf_text(client.get(f"/notices/{notice.pk}.pdf").content)
    assert "事项已退回重新议事，以重新议定后的公示为准" in printed  # a page printed now says so at its top
    tracked = client.get(f"/api/v1/notices/{notice.pk}").json()
    assert tracked["status"] == "reopened" and tracked["case_status"] == "deliberating"
    assert [p["action"] for p in tracked["progress"]] == ["reopen"]

    # deliberated again (the body schedules a meeting with the matter, as any other) and publicised
    # again: a new notice, with a new period; the old one's progress tells the new deliberation, its
    # names masked as the notice's, and stops where the new notice starts
    sec = posted.convener
    m = client.post("/api/v1/meetings", {
        "org": "T1C1", "body": "community_review_meeting", "title": "重新议事", "form": "meeting",
        "scheduled_at": "2026-12-20T10:00:00+08:00", "participants": [{"role": "community_secretary", "name": "书记"}],
        "cases": [case.pk]}, content_type="application/json", **sec)
    assert m.status_code == 201, m.content
    assert act(client, sec, case.pk, action="resolve", meeting=m.json()["id"],
               resolution=f"采纳{PARTICIPANT}意见，按业主大会决定的标准执行").status_code == 200
    old = client.get(f"/api/v1/notices/{notice.pk}").json()["progress"]
    assert [p["action"] for p in old] == ["reopen", "resolve"]
    assert old[1]["note"] == "议定：采纳李**意见，按业主大会决定的标准执行"
    assert act(client, sec, case.pk, action="publicise", result="已更正", notice="更正后的标准").status_code == 200
    assert Notice.objects.filter(case=case).count() == 2
    newest = Notice.objects.filter(case=case).order_by("-id").first()
    assert newest.status == "posted" and newest.resolution == "采纳李**意见，按业主大会决定的标准执行"
    assert act(client, sec, case.pk, action="request_evaluation").status_code == 409
    notice_period_over(case.pk)
    assert act(client, sec, case.pk, action="request_evaluation").status_code == 200
    old = client.get(f"/api/v1/notices/{notice.pk}").json()["progress"]
    assert [p["action"] for p in old] == ["reopen", "resolve"]  # the new notice tells the rest
    new = client.get(f"/api/v1/notices/{newest.pk}").json()
    assert new["status"] == "concluded" and [p["action"] for p in new["progress"]] == ["request_evaluation"]
    assert PARTICIPANT not in client.get(f"/notices/{notice.pk}/").content.decode()


def test_who_moderates_the_case_publicising_roles_only(world, client, token_for, posted):
    """The secretary who publicised moderates; the supervision committee sees the case but may not
    (403); a grid worker of another community does not see it (404); the public need a token (401)."""
    comment_id = comment(client, posted.notice.pk, kind="comment", text="好").json()["id"]
    assert moderate(client, token_for(world.committee), comment_id, "publish").status_code == 403
    assert moderate(client, token_for(world.sibling_worker), comment_id, "publish").status_code == 404
    assert moderate(client, {}, comment_id, "publish").status_code == 401
    client.force_login(world.committee)
    page = client.get("/staff/notices/").content.decode()
    assert "好" not in page.split('id="queue"')[1]
    assert 'id="nav-moderation"' not in page  # the menu offers the page to those who may moderate
    assert client.post(f"/staff/notices/comments/{comment_id}/", {"decision": "publish"}).status_code == 403
    client.force_login(world.sibling_worker)
    assert client.post(f"/staff/notices/comments/{comment_id}/", {"decision": "publish"}).status_code == 404
    assert Comment.objects.get(pk=comment_id).status == "pending"
    client.force_login(world.secretary)
    assert 'id="nav-moderation"' in client.get("/notices/").content.decode()
    pending = client.get("/api/v1/notice-comments", **token_for(world.secretary)).json()
    assert [c["id"] for c in pending] == [comment_id]
    assert client.get("/api/v1/notice-comments", **token_for(world.committee)).json() == []


def test_the_objectors_phone_is_revealed_to_the_moderator_with_a_reason_audited(world, client, posted):
    comment_id = comment(client, posted.notice.pk, kind="objection", text="请联系我", phone=COMMENTER_PHONE).json()["id"]
    assert Comment.objects.filter(pk=comment_id).values_list("phone", flat=True).get() == COMMENTER_PHONE
    from django.db import connection

    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT phone FROM notices_comment WHERE id = %s", [comment_id])
        assert COMMENTER_PHONE not in cursor.fetchone()[0]
    client.force_login(world.secretary)
    shown = client.post(f"/staff/notices/comments/{comment_id}/", {"decision": "reveal", "reason": "回电核实异议"})
    assert shown.status_code == 200 and COMMENTER_PHONE in shown.content.decode()
    assert audit_events("personal_data.reveal") == ["personal_data.reveal"]
    no_reason = client.post(f"/staff/notices/comments/{comment_id}/", {"decision": "reveal", "reason": ""})
    assert no_reason.status_code == 400 and COMMENTER_PHONE not in no_reason.content.decode()


def test_too_many_comments_from_one_address_get_429(world, client, posted, settings):
    settings.SANSHI_RATE_NOTICE_COMMENT = "2/m"
    cache.clear()
    assert comment(client, posted.notice.pk, text="一").status_code == 201
    page = client.post(f"/notices/{posted.notice.pk}/", {"kind": "comment", "text": "二"})
    assert page.status_code == 302
    limited = client.post(f"/notices/{posted.notice.pk}/", {"kind": "comment", "text": "三"})
    assert limited.status_code == 429 and "Retry-After" in limited
    api = comment(client, posted.notice.pk, text="四")
    assert api.status_code == 429 and api.json()["detail"] == "请求过于频繁，请稍后再试"
    other = Client(REMOTE_ADDR="10.0.0.9")  # another address is not held
    assert comment(other, posted.notice.pk, text="五").status_code == 201
    assert Comment.objects.count() == 3
    cache.clear()


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"text": ""}, "text", "请填写意见内容"),
    ({"text": "   "}, "text", "请填写意见内容"),
    ({"text": "长" * 5000}, "text", "意见内容最多1000字"),
    ({"text": "好", "kind": "praise"}, "kind", "请选择“意见建议”或“异议”"),
    ({"text": "好", "phone": "12345"}, "phone", "电话号码格式不正确"),
    ({"text": "好", "name": "名" * 51}, "name", "称呼最多50字"),
])
def test_bad_input_is_a_400_with_a_chinese_message(world, client, posted, body, field, message):
    api = comment(client, posted.notice.pk, **{"kind": "comment", **body})
    assert api.status_code == 400 and field in api.json()["errors"], api.content
    assert message in api.json()["errors"][field]
    page = client.post(f"/notices/{posted.notice.pk}/", {"kind": "comment", **body})
    assert page.status_code == 400 and message in page.content.decode()
    assert not Comment.objects.exists()


def test_a_nul_character_is_a_400_in_chinese_never_a_500(world, client, posted):
    api = comment(client, posted.notice.pk, kind="comment", text="有\x00空字符")
    assert api.status_code == 400 and "无法处理的字符" in api.json()["detail"] and api.json()["errors"]
    page = client.post(f"/notices/{posted.notice.pk}/", {"kind": "comment", "text": "有\x00空字符"})
    assert page.status_code == 400 and "无法处理的字符" in page.content.decode()
    with pytest.raises(Exception, match="包含无法处理的字符|提交的内容有误"):
        services.comment_submit(actor=None, notice=posted.notice, kind="comment", text="有\x00空字符")
    assert not Comment.objects.exists()
    assert client.get("/api/v1/notices/abc").status_code in (400, 404, 422)
    assert comment(client, 999999, text="好").status_code == 404


@given(text=st.text(max_size=40), kind=st.sampled_from(["comment", "objection", "", "x"]),
       name=st.text(max_size=8), phone=st.sampled_from(["", "13812345678", "x", "0"]))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_form_never_answers_5xx(world, posted, text, kind, name, phone):
    response = Client().post(f"/notices/{posted.notice.pk}/", {"kind": kind, "text": text, "name": name, "phone": phone})
    assert response.status_code in (302, 400), response.status_code


def test_one_transaction_per_action(world, client, posted, monkeypatch):
    """A moderation that fails at its last step leaves nothing behind: no status change, no event row,
    no audit row; an upheld objection whose case cannot move leaves the objection waiting."""
    comment_id = comment(client, posted.notice.pk, kind="objection", text="异议").json()["id"]
    events, audits = NoticeEvent.objects.count(), len(audit_events(""))

    def broken(**kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.comment_moderate(actor=world.secretary, comment=Comment.objects.select_related("notice__case").get(
            pk=comment_id), decision="publish")
    monkeypatch.undo()
    assert Comment.objects.get(pk=comment_id).status == "pending" and NoticeEvent.objects.count() == events

    def refused(**kwargs):
        raise TransitionNotAllowed("事项状态已变化")

    monkeypatch.setattr(services, "transition", refused)
    with pytest.raises(TransitionNotAllowed):
        services.comment_moderate(actor=world.secretary, comment=Comment.objects.select_related("notice__case").get(
            pk=comment_id), decision="accept", reason="成立")
    monkeypatch.undo()
    assert Comment.objects.get(pk=comment_id).status == "pending"
    assert Notice.objects.get(pk=posted.notice.pk).status == "posted"
    assert Case.objects.get(pk=posted.case_id).status == "publicised"
    assert NoticeEvent.objects.count() == events and len(audit_events("")) == audits
    # the guard refuses inside the request's transaction: nothing of the move is written
    before = CaseEvent.objects.filter(case_id=posted.case_id).count()
    assert act(client, posted.convener, posted.case_id, action="request_evaluation").status_code == 409
    assert CaseEvent.objects.filter(case_id=posted.case_id).count() == before


def test_the_moderation_page_reads_a_fixed_number_of_queries(world, client, token_for):
    """The secretary's moderation page: one pending comment, then five on five matters and one
    published — the same number of queries (the scope rule is decided in memory per matter)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import publicise

    first = publicise(world, client, token_for, title="第一件")
    comment(client, first.notice.pk, kind="objection", text="异议一")
    client.force_login(world.secretary)
    client.get("/staff/notices/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        assert client.get("/staff/notices/").status_code == 200
    for n in range(4):
        more = publicise(world, client, token_for, title=f"第{n + 2}件")
        comment(client, more.notice.pk, kind="comment", text=f"意见{n}")
    published = comment(client, first.notice.pk, kind="comment", text="已公开的一条").json()["id"]
    assert moderate(client, first.convener, published, "publish").status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = client.get("/staff/notices/").content.decode()
    queue, shown = page.split('id="queue"')[1].split('id="shown"')
    assert queue.count("<li id=") == 5 and "已公开的一条" in shown
    assert len(many.captured_queries) == len(one.captured_queries), [q["sql"] for q in many.captured_queries]

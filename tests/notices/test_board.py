"""/notices/ for anyone: what a notice shows (the matter, resolution, vote, result, period), and that
its pages, PDF, RSS feed and JSON never carry a phone, an ID number or a full name."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sanshi.notices.models import Notice

from ..helpers import act, notice_period_over
from .conftest import (
    COMMENTER,
    COMMENTER_PHONE,
    ID_NUMBER,
    PARTICIPANT,
    PHONE,
    REPORTER,
    comment,
    pdf_rectangles,
    pdf_text,
    publicise,
)

SECRETS = (PHONE, ID_NUMBER, REPORTER, PARTICIPANT, COMMENTER, COMMENTER_PHONE, "1381234", "110105199003")


def _moderate(client, headers, comment_id, decision="publish", reason=""):
    return client.post(f"/api/v1/notice-comments/{comment_id}/moderation", {"decision": decision, "reason": reason},
                       content_type="application/json", **headers)


def test_a_publicised_matter_is_on_the_board_without_personal_data(world, client, token_for, posted):
    """Given a shared matter whose request, resolution, result and notice name the reporter and a
    participant and carry a phone and an ID number, and a published comment that left a name and a
    phone: the board, the notice page, the PDF, the RSS feed and the JSON show the matter with names
    as 张* and numbers masked — and none of the originals."""
    made = comment(client, posted.notice.pk, kind="objection", text=f"我是{COMMENTER}，收费太高", name=COMMENTER,
                   phone=COMMENTER_PHONE)
    assert made.status_code == 201, made.content
    assert _moderate(client, posted.convener, made.json()["id"]).status_code == 200

    board = client.get("/notices/")
    page = client.get(f"/notices/{posted.notice.pk}/")
    pdf = client.get(f"/notices/{posted.notice.pk}.pdf")
    feed = client.get("/notices/feed/")
    listed = client.get("/api/v1/notices")
    detail = client.get(f"/api/v1/notices/{posted.notice.pk}")
    assert {r.status_code for r in (board, page, pdf, feed, listed, detail)} == {200}
    drawn = pdf_text(pdf.content)
    shown = {"board": board.content.decode(), "page": page.content.decode(), "pdf": drawn,
             "pdf bytes": pdf.content.decode("latin-1"), "feed": feed.content.decode(),
             "list": listed.content.decode(), "detail": detail.content.decode()}
    for where, text in shown.items():
        for secret in SECRETS:
            assert secret not in text, (where, secret)
    # what they show instead: the matter, names as 张* / 李*, numbers masked, the commenter as 王*
    for where in ("board", "page", "pdf", "list", "detail"):
        assert "张**反映鼎城花园地面停车收费" in shown[where], where
    for where in ("page", "pdf", "detail"):
        assert "按李**提议" in shown[where] and "138****5678" in shown[where], where
        assert "110105********123X" in shown[where], where
    assert "王**" in shown["page"] and "收费太高" in shown["page"]
    body = detail.json()
    assert body["comments"][0]["name"] == "王**" and "phone" not in body["comments"][0]
    assert "鼎城花园地面停车收费" in shown["feed"]


def test_the_notice_shows_its_period_and_the_vote_of_its_resolution(world, client, token_for):
    """Given a shared resolution put to the owners (a vote that passed), then publicised: the notice
    carries the vote as GET /api/v1/votes/{id} returns it, and its page the tally and the period."""
    from ..votes.conftest import Compound, shared_resolution

    item = shared_resolution(world, title="停车收费标准")
    compound = Compound(world)
    for n in range(3):
        compound.add(f"1栋10{n}", "100.00", f"业主{n}号")
    vote = compound.open(item)
    compound.paper(vote, "1栋100", "yes")
    compound.paper(vote, "1栋101", "yes")
    from sanshi.votes.services import vote_close

    vote_close(actor=world.secretary, vote=vote, note="计票")
    sec = token_for(world.secretary)
    client.post(f"/api/v1/cases/{item.case_id}/transitions", {"action": "publicise", "result": "已执行",
                "notice": "收费标准公示"}, content_type="application/json", **sec)
    notice = Notice.objects.get(case_id=item.case_id)
    body = client.get(f"/api/v1/notices/{notice.pk}").json()
    assert body["vote"] == client.get(f"/api/v1/votes/{vote.pk}").json()
    assert body["vote"]["passed"] is True and body["vote"]["participating_owners"] == 2
    assert body["node"] == {"code": "T1C1", "name": "东门社区", "level": "community"}
    assert body["open"] is True and body["status"] == "posted" and body["case_number"]
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    until = timezone.localtime(notice.objection_until).strftime("%Y-%m-%d %H:%M")
    assert f"公示期（异议期）至 <strong>{until}</strong> 止" in page
    assert "表决通过" in page and "<svg" in page and "提出意见或异议" in page


def test_filters_by_community_street_kind_and_period(world, client, token_for):
    """Three notices: a shared matter of 东门社区 (T1C1), one of 艾坪村 (T1C2), a public one of the
    street (T1). By node the board shows that node and what lies below it; by kind; by period."""
    ours = publicise(world, client, token_for, title="东门停车")
    theirs = publicise(world, client, token_for, grid="T1C2-G01", title="艾坪修路")
    street = publicise(world, client, token_for, kind="PUBLIC", title="滨江路积水")
    notice_period_over(theirs.case_id)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/notices?{query}")
        assert response.status_code == 200, response.content
        return {n["id"] for n in response.json()}

    assert ids("node=T1C1") == {ours.notice.pk}
    assert ids("node=T1C2") == {theirs.notice.pk}
    assert ids("node=T1") == {ours.notice.pk, theirs.notice.pk, street.notice.pk}
    assert ids("kind=PUBLIC") == {street.notice.pk}
    assert ids("kind=SHARED&node=T1") == {ours.notice.pk, theirs.notice.pk}
    assert ids("open=true") == {ours.notice.pk, street.notice.pk}
    assert ids("open=false") == {theirs.notice.pk}
    assert ids("limit=1&offset=1") == {theirs.notice.pk}  # newest first: 滨江路, 艾坪, 东门
    bad = client.get("/api/v1/notices?kind=HOUSEHOLD&node=NOWHERE")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"kind", "node"}
    # the page: the same filters, in Chinese
    page = client.get("/notices/?node=T1C2").content.decode()
    assert "艾坪修路" in page and "东门停车" not in page and "滨江路积水" not in page and "共 1 条公示" in page
    page = client.get("/notices/?kind=PUBLIC").content.decode()
    assert "滨江路积水" in page and "东门停车" not in page
    page = client.get("/notices/?open=0").content.decode()
    assert "艾坪修路" in page and "异议期已于" in page and "东门停车" not in page
    feed = client.get("/notices/feed/?node=T1C1").content.decode()
    assert "东门停车" in feed and "艾坪修路" not in feed


def test_the_board_pages_twenty_at_a_time_in_a_fixed_number_of_queries(world, client, token_for, posted):
    """The board's queries do not grow with its notices (a page of 20, with their published comments)."""
    with CaptureQueriesContext(connection) as one:
        assert client.get("/notices/").status_code == 200
    base = Notice.objects.get(pk=posted.notice.pk)
    for n in range(24):  # more notices of the same publication's shape, as the board reads them
        Notice.objects.create(case_id=base.case_id, event=_event(base), node=base.node, kind=base.kind,
                              title=f"公示{n}", published_at=base.published_at - timedelta(days=n + 1),
                              objection_until=base.objection_until, status="posted")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/notices/")
    assert page.status_code == 200 and "第 1／2 页" in page.content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    second = client.get("/notices/?page=2").content.decode()
    assert "第 2／2 页" in second and "公示23" in second


def _event(notice):
    from sanshi.cases.models import CaseEvent

    return CaseEvent.objects.create(case_id=notice.case_id, action="publicise", from_status="handling",
                                    to_status="publicised", at=notice.published_at)


def test_the_pdf_is_an_a4_page_with_the_title(world, client, token_for, posted):
    response = client.get(f"/notices/{posted.notice.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1500
    text = pdf_text(response.content)
    assert posted.notice.title in text and "异议期至" in text and "东门社区" in text
    # where to object: the notice's address, and its QR code beside it (a QR code of 21+ modules a side)
    assert f"http://testserver/notices/{posted.notice.pk}/" in text and "扫描右侧二维码" in text
    assert pdf_rectangles(response.content) > 100
    assert "公示期已满" not in text and "重新议事" not in text  # posted: no status line
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in response.content  # A4 in points
    assert b"STSong-Light" in response.content  # the built-in CID font, no font file embedded
    assert client.get("/notices/999999.pdf").status_code == 404


@pytest.mark.parametrize("path", ["/notices/", "/notices/?node=T1C1&kind=SHARED&open=1&page=x", "/notices/feed/"])
def test_the_board_needs_no_account(world, client, path):
    assert client.get(path).status_code == 200


def test_the_committees_follow_up_is_the_notices_progress(world, client, token_for, posted):
    """B2: the supervision committee follows a shared resolution to done. What it records while the
    notice is posted is the notice's progress, for everyone — the names known on the case as 张*;
    then the request for evaluation after the period."""
    committee = token_for(world.committee)
    r = act(client, committee, posted.case_id, action="record_progress", note=f"已到现场核对，{REPORTER}所在楼栋已划线")
    assert r.status_code == 200, r.content
    body = client.get(f"/api/v1/notices/{posted.notice.pk}").json()
    assert [(p["action"], p["note"]) for p in body["progress"]] == [
        ("supervision_progress", "居务监督委员会跟踪：已到现场核对，张**所在楼栋已划线")]
    page = client.get(f"/notices/{posted.notice.pk}/").content.decode()
    assert "居务监督委员会跟踪：已到现场核对，张**所在楼栋已划线" in page and REPORTER not in page
    notice_period_over(posted.case_id)
    assert act(client, posted.convener, posted.case_id, action="request_evaluation").status_code == 200
    body = client.get(f"/api/v1/notices/{posted.notice.pk}").json()
    assert [p["action"] for p in body["progress"]] == ["supervision_progress", "request_evaluation"]
    assert body["status"] == "concluded" and body["case_status"] == "evaluating" and body["open"] is False

"""Hypothesis over the lists' filter forms and their exports (the gap docs/security.md listed): the
pool, each body's cases, the meetings, the ledger, the follow-up visits, the owners' votes, the
notices (staff and public board) and the dashboard, each read with an odd query string — odd text,
odd dates, odd pages, codes that are no node, NULs — by a street operator who sees them all. Never a
5xx; a bad field is reported and left out (the page still answers), or an export goes back to its
list, which says why."""

from urllib.parse import urlencode

from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sanshi.intake.services import RequestInput, request_submit

from ..web.test_form_fuzz import FUZZ, ODD_TEXT, WITH_NUL, assert_no_server_error, nul_if

DATES = st.one_of(st.sampled_from(["2026-12-31", "2026-02-30", "0000-01-01", "9999-12-31", "2026/12/31", "nope",
                                   "", "1-1-1", "2026-12-01T00:00"]), ODD_TEXT)
PAGES = st.one_of(st.sampled_from(["", "0", "-1", "1.5", "abc", "99999999999999999999", "１", "2"]), ODD_TEXT)
CODES = st.one_of(st.sampled_from(["", "T1", "T1C1", "T1C1-G01", "T2", "NOPE", "T1%", "*"]), ODD_TEXT)
LISTS = ["/staff/pool/", "/staff/pool/export/", "/staff/bodies/community_review_meeting/",
         "/staff/bodies/community_review_meeting/export/", "/staff/meetings/", "/staff/meetings/export/",
         "/staff/ledger/", "/staff/ledger/export/", "/staff/visits/", "/staff/visits/export/", "/staff/votes/",
         "/staff/votes/export/", "/staff/notices/", "/staff/notices/export/", "/notices/",
         "/staff/dashboard/", "/staff/dashboard/export/"]
FIELDS = ("q", "from", "to", "kind", "status", "node", "page", "show")


def test_every_list_and_export_takes_any_query_string(world):
    for text in ("小区路灯不亮", "楼道堆物堵住消防通道"):
        request_submit(actor=None, data=RequestInput(text=text, title=text[:6], grid_code="T1C1-G01"))
    browser = Client(raise_request_exception=False)
    browser.force_login(world.operator)
    for url in LISTS:  # each answers a plain read first
        assert browser.get(url).status_code == 200, url

    @given(url=st.sampled_from(LISTS), q=ODD_TEXT, start=DATES, end=DATES, kind=ODD_TEXT, status=ODD_TEXT,
           node=CODES, page=PAGES, with_nul=WITH_NUL, fields=st.sets(st.sampled_from(FIELDS), min_size=1))
    @FUZZ
    def read(url, q, start, end, kind, status, node, page, with_nul, fields):
        values = {"q": nul_if(with_nul, q), "from": start, "to": end, "kind": kind, "status": status, "node": node,
                  "page": page, "show": status}
        query = urlencode({name: values[name] for name in fields})
        response = browser.get(f"{url}?{query}")
        assert_no_server_error(response, url, query)
        # an export with a field it cannot use goes back to its list, which says why (302)
        assert response.status_code in (200, 302, 400, 404), (url, query, response.status_code)

    read()


def test_a_date_at_the_end_of_the_calendar_is_refused_not_a_500(world, client):
    """Found by the fuzz above: `to=9999-12-31` made the day after overflow (500) on every list."""
    client.force_login(world.operator)
    for url in ("/staff/pool/", "/staff/ledger/", "/staff/notices/"):
        response = client.get(url, {"from": "0001-01-01", "to": "9999-12-31"})
        assert response.status_code in (200, 400), url  # the list, with the field's error beside it
        assert "请填写2000-01-01至2099-12-31之间的日期" in response.content.decode(), url
    assert client.get("/staff/pool/export/", {"to": "9999-12-31"}).status_code == 302  # back to the list, which says why

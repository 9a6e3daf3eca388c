"""Hypothesis over the resident's other public forms (issue 18: "the page forms are fuzzed"): the
tracking page — the code asked for, typed into the path, and the rating a party sends on a household
matter in evaluation — and the parties' rating page with its own code. tests/web/test_form_fuzz.py
covers the report, sign-in, staff registration and case-action forms. Whatever comes in, never a 5xx."""

from urllib.parse import quote

from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sanshi.cases.models import Case
from sanshi.deliberation.services import ParticipantInput, meeting_schedule
from sanshi.evaluation.models import Evaluation, PartyCode
from sanshi.intake.models import Request

from ..helpers import act, submit
from ..web.test_form_fuzz import FUZZ, ODD_TEXT, WITH_NUL, assert_no_server_error, nul_if

RATINGS = st.one_of(st.sampled_from(["good", "bad", "GOOD", "", "satisfied", "1"]), ODD_TEXT)
ADDRESSES = st.integers(1, 250).map(lambda n: f"10.0.{n}.7")  # /rate/ allows 30 a minute per address


def _household_in_evaluation(world, client, token_for) -> tuple[str, str]:
    """A household dispute rated by its parties: the reporter's tracking code and the neighbour's rating code."""
    body = submit(client, text="楼上邻居每天半夜装修，电钻噪音吵得老人孩子睡不着。", grid="T1C1-G01", channel="web").json()
    case = Case.objects.get(pk=Request.objects.get(tracking_code=body["tracking_code"]).case_id)
    operator, leader = token_for(world.operator), token_for(world.grid_leader)
    assert act(client, operator, case.pk, action="triage", kind="HOUSEHOLD", catalogue_code="H2").status_code == 200
    case.refresh_from_db()
    meeting_schedule(actor=world.grid_leader, org=world.grid, body="grid_neighbour_meeting", title="装修噪音",
                     form="meeting", scheduled_at=timezone.now(), cases=[case],
                     participants=[ParticipantInput("grid_leader", "网格长"), ParticipantInput("party", "王五")])
    act(client, leader, case.pk, action="resolve", meeting=case.agenda_items.get().meeting_id, resolution="约定施工时间")
    assert act(client, leader, case.pk, action="request_evaluation", result="已按约定施工").json()["status"] == "evaluating"
    return body["tracking_code"], PartyCode.objects.get(round__case=case).code


def test_the_tracking_page_and_its_rating_form(world, client, token_for):
    code, _party = _household_in_evaluation(world, client, token_for)
    browser = Client(raise_request_exception=False)

    @given(asked=st.one_of(ODD_TEXT, st.just(code), st.just(code.lower())), rating=RATINGS, comment=ODD_TEXT,
           in_path=st.booleans(), with_nul=WITH_NUL)
    @FUZZ
    def check(asked, rating, comment, in_path, with_nul):
        asked = nul_if(with_nul, asked)
        page = browser.get(f"/track/{quote(asked, safe='')}/" if in_path and asked else "/track/", {"code": asked})
        assert_no_server_error(page, asked[:40])
        sent = browser.post(f"/track/{quote(asked or code, safe='')}/", {"rating": rating, "comment": comment})
        assert_no_server_error(sent, asked[:40], rating[:20], comment[:40])

    check()
    browser.post(f"/track/{code}/", {"rating": "good", "comment": "满意"})  # the form still works after it all
    assert Evaluation.objects.filter(rater__startswith="request:").count() == 1


def test_the_parties_rating_page(world, client, token_for):
    _code, party = _household_in_evaluation(world, client, token_for)
    browser = Client(raise_request_exception=False)

    @given(asked=st.one_of(ODD_TEXT, st.just(party), st.just(party.lower())), rating=RATINGS, comment=ODD_TEXT,
           address=ADDRESSES, with_nul=WITH_NUL)
    @FUZZ
    def check(asked, rating, comment, address, with_nul):
        asked = nul_if(with_nul, asked)
        page = browser.get("/rate/", {"code": asked}, REMOTE_ADDR=address)
        assert_no_server_error(page, asked[:40])
        path = f"/rate/{quote(asked, safe='')}/" if asked.strip() else "/rate/"
        sent = browser.post(path, {"rating": rating, "comment": comment}, REMOTE_ADDR=address)
        assert_no_server_error(sent, asked[:40], rating[:20], comment[:40])

    check()
    browser.post(f"/rate/{party}/", {"rating": "good"}, REMOTE_ADDR="10.1.0.1")  # the form still works after it all
    assert Evaluation.objects.filter(rater__startswith="code:").count() == 1

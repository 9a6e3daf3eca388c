"""Hypothesis over the staff's remaining page forms and the notices' comment form (issue 18: "the page
forms are fuzzed"): the owners' votes (a new vote, a paper ballot with its scan, an electorate, a unit
and its owners, the roll's Excel import), the meetings (a new one, the meeting page's forms), the
ledger entry's forms, the follow-up visit, the holiday calendar, a resident's comment on a notice and
its moderation, and the Excel imports. Each signed in as the role that may use the form; odd text,
NULs, odd numbers and odd files: never a 5xx, and what a form refuses writes no row."""

from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import case_triage
from sanshi.deliberation.models import AgendaItem, Meeting
from sanshi.intake.services import RequestInput, request_submit
from sanshi.notices.models import Comment
from sanshi.registry.models import Household, Person
from sanshi.supervision.models import CalendarDay, LedgerProgress
from sanshi.votes.models import Ballot, Electorate, Unit, Vote

from ..notices.conftest import publicise
from ..supervision.test_supervision import _closed_household, _triaged
from ..votes.conftest import Compound, shared_resolution
from ..web.test_form_fuzz import (
    FUZZ,
    IMAGE_BYTES,
    ODD_TEXT,
    WITH_NUL,
    assert_no_server_error,
    nul_if,
    one_odd,
)

NUMBERS = st.one_of(st.sampled_from(["", "0", "-1", "1.5", "abc", "99999999999999999999", "１", "1e3"]), ODD_TEXT)
DATES = st.one_of(st.sampled_from(["2026-12-31", "2027-02-06", "2026-02-30", "0000-01-01", "9999-12-31",
                                   "2026/12/31", "nope", ""]), ODD_TEXT)
ADDRESSES = st.integers(1, 250).map(lambda n: f"10.0.{n}.9")  # the comment form allows a few a minute per address


def _browser(user) -> Client:
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    return browser


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _nothing_written_unless_redirected(response, counts_before: tuple, counts_after: tuple, *context):
    """A refused form (anything but the redirect after a write) leaves every table as it was."""
    assert_no_server_error(response, *context)
    if response.status_code != 302:
        assert counts_after == counts_before, (response.status_code, *context)


# ---- owners' votes -----------------------------------------------------------------------------------

def test_the_votes_new_vote_and_ballot_forms(world):
    compound = Compound(world)
    for n, owner in enumerate(("甲", "乙", "丙"), start=1):
        compound.add(f"1栋10{n}室", "100.00", owner)
    resolution = shared_resolution(world)
    browser = _browser(world.secretary)

    @given(form=one_odd({"agenda_item": str(resolution.pk), "electorate": str(compound.electorate.pk), "item": "4",
                         "title": "地面车位收费标准", "ends_on": "2026-12-31"}), with_nul=WITH_NUL)
    @FUZZ
    def new_vote(form, with_nul):
        before = Vote.objects.count()
        response = browser.post("/staff/votes/new/", {**form, "title": nul_if(with_nul, form["title"])})
        _nothing_written_unless_redirected(response, (before,), (Vote.objects.count(),), form)

    new_vote()
    vote = Vote.objects.get()  # the sensible form went through once; the others were refused
    units = [str(u.pk) for u in compound.units.values()]

    @given(form=one_odd({"op": "ballot", "unit": units[0], "choice": "yes", "channel": "paper", "signer": "业主本人",
                         "proxy_name": "", "proxy_note": ""}), unit=st.sampled_from(units),
           scan=st.one_of(st.none(), IMAGE_BYTES), with_nul=WITH_NUL)
    @FUZZ
    def ballot(form, unit, scan, with_nul):
        before = Ballot.objects.count()
        data = {**form, "unit": form["unit"] if form["unit"] != units[0] else unit,
                "signer": nul_if(with_nul, form["signer"])}
        if scan is not None:
            data["scan"] = _file("ballot.png", scan)
        response = browser.post(f"/staff/votes/{vote.pk}/", data)
        _nothing_written_unless_redirected(response, (before,), (Ballot.objects.count(),), form, len(scan or b""))

    ballot()
    assert_no_server_error(browser.post(f"/staff/votes/{vote.pk}/", {"op": "close", "note": "期满\x00"}))


def test_the_votes_electorate_unit_and_import_forms(world):
    compound = Compound(world)
    unit = compound.add("1栋101室", "100.00", "甲")
    browser = _browser(world.secretary)
    page = f"/staff/votes/electorates/{compound.electorate.pk}/"

    def counts():
        return Electorate.objects.count(), Unit.objects.count(), Person.objects.count(), unit.owners.count()

    @given(form=one_odd({"name": "鼎城花园1栋业主", "node": str(world.grid.pk)}),
           units=one_odd({"address": "鼎城花园1栋102室", "area": "88.50"}), area=NUMBERS, with_nul=WITH_NUL)
    @FUZZ
    def electorate_and_unit(form, units, area, with_nul):
        before = counts()
        response = browser.post("/staff/votes/electorates/", {**form, "name": nul_if(with_nul, form["name"])})
        _nothing_written_unless_redirected(response, before, counts(), form)
        before = counts()
        response = browser.post(page, {**units, "area": area if units["area"] == "88.50" else units["area"]})
        _nothing_written_unless_redirected(response, before, counts(), units, area[:30])

    electorate_and_unit()

    @given(op=st.one_of(st.sampled_from(["edit", "owner", "remove", ""]), ODD_TEXT),
           form=one_odd({"area": "90.00", "developer_held": "", "name": "乙", "phone": "13800000002",
                         "id_number": "11010519900307123X", "person": "1"}),
           person=NUMBERS, with_nul=WITH_NUL)
    @FUZZ
    def unit_forms(op, form, person, with_nul):
        before = counts()
        response = browser.post(f"/staff/votes/units/{unit.pk}/", {**form, "op": nul_if(with_nul, op),
                                                                     "person": person or form["person"]})
        _nothing_written_unless_redirected(response, before, counts(), op[:20], form, person[:30])

    unit_forms()

    @given(op=st.sampled_from(["check", "import", ""]), data=IMAGE_BYTES,
           name=st.sampled_from(["名册.xlsx", "a.xls", "a\x00.xlsx", "x" * 300 + ".xlsx", ""]))
    @FUZZ
    def upload(op, data, name):
        before = counts()
        response = browser.post(page + "import/", {"op": op, "file": _file(name or "x", data)})
        _nothing_written_unless_redirected(response, before, counts(), op, name[:20], len(data))

    upload()


# ---- meetings ----------------------------------------------------------------------------------------

def _shared_case(world, text: str = "小区地面停车位收费标准不清楚，请社区组织商量") -> Case:
    case = request_submit(actor=None, data=RequestInput(text=text, grid_code="T1C1-G01")).case
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S4", grid_code="T1C1-G01",
                reason="按责任清单核定")
    return Case.objects.get(pk=case.pk)


def test_the_meeting_forms(world):
    case = _shared_case(world)
    browser = _browser(world.secretary)

    def counts():
        return Meeting.objects.count(), AgendaItem.objects.count(), CaseEvent.objects.count()

    @given(form=one_odd({"org": "T1C1", "body": "community_review_meeting", "title": "评议会", "form": "meeting",
                         "scheduled_at": "2026-12-20T10:00", "place": "社区会议室",
                         "participants": "调解员 张三\n居民代表 李四 @gridworker"}),
           cases=st.lists(st.one_of(st.just(str(case.pk)), NUMBERS), max_size=3), with_nul=WITH_NUL)
    @FUZZ
    def new_meeting(form, cases, with_nul):
        before = counts()
        response = browser.post("/staff/meetings/new/", {**form, "participants": nul_if(with_nul, form["participants"]),
                                                         "cases": cases})
        _nothing_written_unless_redirected(response, before, counts(), form, cases)

    new_meeting()
    meeting = Meeting.objects.first()
    assert meeting is not None  # the sensible form went through at least once (Hypothesis tries it first)

    @given(op=st.one_of(st.sampled_from(["minutes", "add", "resolve", "opinion", ""]), ODD_TEXT),
           case_id=st.one_of(st.just(str(case.pk)), NUMBERS), text=ODD_TEXT, with_nul=WITH_NUL)
    @FUZZ
    def meeting_page(op, case_id, text, with_nul):
        response = browser.post(f"/staff/meetings/{meeting.pk}/", {"op": op, "case": case_id,
                                                                    "minutes": nul_if(with_nul, text),
                                                                    "resolution": text, "opinion": text})
        assert_no_server_error(response, op[:20], case_id[:30], text[:40])

    meeting_page()


# ---- supervision: ledger, follow-up visit, calendar ----------------------------------------------------

def test_the_ledger_entry_forms(world):
    entry = _triaged(world).ledger_entry
    browser = _browser(world.street_officer)

    @given(op=st.one_of(st.sampled_from(["claim", "deadline", "progress", ""]), ODD_TEXT), deadline=DATES,
           reason=ODD_TEXT, note=ODD_TEXT, percent=NUMBERS, htmx=st.booleans(), with_nul=WITH_NUL)
    @FUZZ
    def check(op, deadline, reason, note, percent, htmx, with_nul):
        before = LedgerProgress.objects.count()
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = browser.post(f"/staff/ledger/{entry.pk}/", {"op": op, "deadline": deadline, "reason": reason,
                                                                "note": nul_if(with_nul, note), "percent": percent},
                                **extra)
        assert_no_server_error(response, op[:20], deadline[:20], note[:40], percent[:20])
        if response.status_code >= 400:
            assert LedgerProgress.objects.count() == before, (op[:20], note[:40], percent[:20])

    check()


def test_the_follow_up_visit_form(world):
    visit = _closed_household(world).follow_up_visit
    browser = _browser(world.grid_leader)

    @given(form=one_odd({"satisfaction": "satisfied", "contact_method": "phone", "note": "居民表示满意"}),
           with_nul=WITH_NUL)
    @FUZZ
    def check(form, with_nul):
        before = CaseEvent.objects.filter(action="follow_up").count()
        response = browser.post(f"/staff/visits/{visit.pk}/", {**form, "note": nul_if(with_nul, form["note"])})
        _nothing_written_unless_redirected(response, (before,), (CaseEvent.objects.filter(action="follow_up").count(),),
                                           form)

    check()


def test_the_holiday_calendar_form(world):
    browser = _browser(world.street_officer)

    @given(date=DATES, name=ODD_TEXT, is_workday=st.sampled_from(["0", "1", "", "yes"]),
           op=st.sampled_from(["", "remove", "set", "x"]), year=NUMBERS, with_nul=WITH_NUL)
    @FUZZ
    def check(date, name, is_workday, op, year, with_nul):
        assert_no_server_error(browser.get("/staff/calendar/", {"year": year}), year[:30])
        before = list(CalendarDay.objects.order_by("date").values_list("date", "name", "is_workday"))
        response = browser.post("/staff/calendar/", {"date": date, "name": nul_if(with_nul, name),
                                                     "is_workday": is_workday, "op": op})
        assert_no_server_error(response, date[:30], name[:40], op)
        if response.status_code != 302:
            assert list(CalendarDay.objects.order_by("date").values_list("date", "name", "is_workday")) == before

    check()


# ---- notices: a resident's comment, its moderation --------------------------------------------------

def test_the_notice_comment_and_moderation_forms(world, client, token_for):
    notice = publicise(world, client, token_for).notice
    resident = Client(raise_request_exception=False)

    @given(form=one_odd({"kind": "comment", "text": "停车费标准偏高，请再议", "name": "王五", "phone": "13987654321"}),
           address=ADDRESSES, with_nul=WITH_NUL)
    @FUZZ
    def comment(form, address, with_nul):
        before = Comment.objects.count()
        response = resident.post(f"/notices/{notice.pk}/", {**form, "text": nul_if(with_nul, form["text"])},
                                 REMOTE_ADDR=address)
        _nothing_written_unless_redirected(response, (before,), (Comment.objects.count(),), form)

    comment()
    pending = list(Comment.objects.values_list("pk", flat=True)) or [0]
    browser = _browser(world.secretary)

    @given(comment_id=st.one_of(st.sampled_from(pending), st.integers(0, 10 ** 12)),
           decision=st.one_of(st.sampled_from(["publish", "hide", "accept", "reveal", ""]), ODD_TEXT), reason=ODD_TEXT,
           with_nul=WITH_NUL)
    @FUZZ
    def moderate(comment_id, decision, reason, with_nul):
        response = browser.post(f"/staff/notices/comments/{comment_id}/", {"decision": decision,
                                                                           "reason": nul_if(with_nul, reason)})
        assert_no_server_error(response, comment_id, decision[:20], reason[:40])

    moderate()


# ---- Excel imports -----------------------------------------------------------------------------------

def test_the_imports_upload(world):
    browser = _browser(world.secretary)

    def counts():
        return Household.objects.count(), Person.objects.count()

    @given(kind=st.one_of(st.sampled_from(["households", "residents", "accounts"]), ODD_TEXT),
           op=st.sampled_from(["check", "import", ""]), data=st.one_of(IMAGE_BYTES, st.just(b"PK\x03\x04" + b"\x00" * 40)),
           name=st.sampled_from(["住户.xlsx", "a.csv", "a\x00.xlsx", "x" * 300 + ".xlsx", "住户"]))
    @FUZZ
    def check(kind, op, data, name):
        before = counts()
        path = f"/staff/imports/{quote(kind, safe='')}/" if kind else "/staff/imports/households/"
        response = browser.post(path, {"op": op, "file": _file(name, data)})
        _nothing_written_unless_redirected(response, before, counts(), kind[:20], op, name[:20], len(data))

    check()
    assert not Household.objects.exists()  # no odd file was ever a roll

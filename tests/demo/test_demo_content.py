"""Structure of the demo content (sanshi/demo/content.py): pure data, no database needed —
except the last test, which builds a small demo to check the builder picks texts by catalogue item."""

import re
import string

from sanshi.catalog.baseline import ITEMS
from sanshi.demo import content as c

PLACEHOLDERS = {"community", "compound", "building", "road"}
SAMPLE = {"community": "东门社区", "compound": "鼎城花园", "building": "5栋", "road": "东门路"}


def _streets():
    return {s["code"]: s for s in c.STREETS}


def _all_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _all_strings(k)
            yield from _all_strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _all_strings(v)


def test_dingshan_has_13_communities_6_urban_7_rural():
    ds = _streets()["DS"]
    assert ds["name"] == "鼎山街道"
    types = [cm["type"] for cm in ds["communities"]]
    assert len(types) == 13
    assert types.count("urban") == 6 and types.count("rural") == 7


def test_chengzi_has_21_communities_over_4_zones():
    cz = _streets()["CZ"]
    assert cz["name"] == "城子街道"
    assert len(cz["zones"]) == 4
    assert len(cz["communities"]) == 21
    assert {cm["zone"] for cm in cz["communities"]} == set(cz["zones"])
    names = {cm["name"] for cm in cz["communities"]}
    assert {"七棵树东街社区", "华新建社区", "城子西街社区"} <= names


def test_community_records_are_complete():
    codes = []
    for street in c.STREETS:
        for cm in street["communities"]:
            codes.append(cm["code"])
            assert cm["code"].startswith(street["code"])
            assert cm["type"] in ("urban", "rural")
            assert cm["address_hint"]
            assert set(cm["buildings"]) == set(cm["compounds"])
            if cm["type"] == "urban":
                assert 2 <= len(cm["compounds"]) <= 4, cm["name"]
            else:
                assert cm["compounds"], cm["name"]
    assert len(codes) == len(set(codes)) == 34


def test_all_24_catalogue_codes_have_at_least_12_requests():
    assert set(c.REQUESTS) == {item["code"] for item in ITEMS}
    for code, requests in c.REQUESTS.items():
        assert len(requests) >= 12, code
        for r in requests:
            assert r["title"] and r["urgent"] is False
            assert r["area"] in ("urban", "rural", "any")


def test_request_placeholders_fill_and_lengths():
    for code, requests in c.REQUESTS.items():
        for r in requests:
            fields = {f for _, f, _, _ in string.Formatter().parse(r["text"]) if f is not None}
            assert fields <= PLACEHOLDERS, (code, r["title"], fields)
            if r["area"] == "any":
                assert not fields & {"compound", "building"}, (code, r["title"])
            filled = r["text"].format(**SAMPLE)
            assert 40 <= len(filled) <= 200, (code, r["title"], len(filled))


def test_urgent_requests():
    codes = {item["code"] for item in ITEMS}
    assert len(c.URGENT_REQUESTS) >= 15
    for u in c.URGENT_REQUESTS:
        assert u["title"] and u["text"].format(**SAMPLE)
        assert isinstance(u["police"], bool) and u["code"] in codes


def test_meetings_and_texts_per_kind():
    kinds = {"PUBLIC", "SHARED", "HOUSEHOLD"}
    assert set(c.MINUTES_TEMPLATES) == kinds
    for kind in kinds:
        for tpl in c.MINUTES_TEMPLATES[kind]:
            assert tpl.format(topic="T", participants="P", decision="D")
            assert all(f"{{{k}}}" in tpl for k in ("topic", "participants", "decision"))
        assert len(c.RESOLUTIONS[kind]) >= 6 and len(c.HANDLING_NOTES[kind]) >= 6
    assert len(c.EVALUATION_COMMENTS["good"]) >= 8 and len(c.EVALUATION_COMMENTS["bad"]) >= 8
    assert len(c.WHISTLE_REPORTS) >= 6 and c.FEEDBACK_MESSAGES
    assert dict(c.SECTOR_GRID_TYPES)["medical"] == "医疗网格"
    assert len(c.SURNAMES) >= 100 and len(c.GIVEN_NAMES) >= 100
    assert len({code for code, _ in c.DEPARTMENTS}) == len(c.DEPARTMENTS)


def test_no_phone_or_id_numbers_anywhere():
    data = [getattr(c, name) for name in dir(c) if name.isupper()]
    for s in _all_strings(data):
        assert not re.search(r"\d{11}", s), s


def test_every_catalogue_code_has_its_own_resolutions_and_handling_notes():
    for code in c.REQUESTS:
        assert len(c.RESOLUTIONS_BY_CODE.get(code, [])) >= 2, code
        assert len(c.HANDLING_NOTES_BY_CODE.get(code, [])) >= 2, code
    for by_code in (c.RESOLUTIONS_BY_CODE, c.HANDLING_NOTES_BY_CODE):
        assert set(by_code) <= set(c.REQUESTS)
        for code, texts in by_code.items():
            assert len(set(texts)) == len(texts), code
            for text in texts:
                assert "{" not in text and 20 <= len(text) <= 60, (code, text)


def test_demo_cases_get_the_decision_and_result_of_their_own_catalogue_item(db):
    from sanshi.cases.models import Case
    from sanshi.demo.builder import build_demo

    # given a small demo (48 requests: two per catalogue code, driven to random stages)
    build_demo(requests=48, out=lambda line: None)

    # then every decided or handled case carries texts written for its own catalogue item
    cases = Case.objects.filter(urgent=False, catalogue_item__isnull=False).select_related("catalogue_item")
    resolved, handled = set(), set()
    for case in cases:
        code = case.catalogue_item.code
        if case.resolution:
            assert case.resolution in c.RESOLUTIONS_BY_CODE[code], (code, case.title, case.resolution)
            resolved.add(code)
        if case.result:
            assert case.result in c.HANDLING_NOTES_BY_CODE[code], (code, case.title, case.result)
            handled.add(code)
        for item in case.agenda_items.select_related("meeting"):  # the minutes record the same kind of decision
            assert any(d in item.meeting.minutes for d in c.RESOLUTIONS_BY_CODE[code]), (code, case.title)
            # the meeting is named after the matter it settles (一事一议), and so are its minutes
            assert case.title in item.meeting.title and case.title in item.meeting.minutes, (case.title, item.meeting.title)
    assert len(resolved) >= 8 and len(handled) >= 8  # the check covered many items, not one


def test_the_demo_shows_a_candidate_shared_and_public_matter_on_the_hotspots_page(db, client):
    from sanshi.accounts.models import User
    from sanshi.demo.builder import build_demo

    build_demo(requests=24, out=lambda line: None)
    client.force_login(User.objects.get(username="demo-operator"))
    page = client.get("/staff/hotspots/").content.decode()
    shared, public = page.split("候选公事", 1)
    # the four residents of one compound charging e-bikes in the stairwell: a matter for the community
    assert sum(title in shared for title, _ in c.HOTSPOT_COMPOUND) >= 3, shared
    # bicycles blocking the pavement along one road, reported from several grids: a matter for the street
    assert sum(title in public for title, _ in c.HOTSPOT_STREET) >= 3, public


def test_demo_times_are_in_the_past_and_staff_work_in_office_hours(db):
    from django.utils import timezone

    from sanshi.cases.models import CaseEvent
    from sanshi.demo.builder import build_demo
    from sanshi.intake.models import Request

    build_demo(requests=48, out=lambda line: None)
    now = timezone.now()
    # nothing in the demo happens after today (timelines used to run up to five days ahead)
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    assert not Request.objects.filter(received_at__gt=now).exists()
    # the steps of the life cycle that staff take fall between 08:00 and 21:00 local time
    steps = ("triage", "deliberate", "resolve", "whistle", "department_report", "publicise", "request_evaluation")
    events = CaseEvent.objects.filter(case__urgent=False, action__in=steps)
    assert events.count() > 40
    hours = {timezone.localtime(e.at).hour for e in events}
    assert hours <= set(range(8, 21)), sorted(hours)

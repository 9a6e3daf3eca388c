"""The demo scenarios replay the seeds' figures (issue 21, docs/scenarios.md): built on an empty
database, read back through GET /api/v1/kpis and the dashboard for the last twelve months, as the
accounts the command prints would read them — figures derived from the event rows by the worker's
KPI sweep, nothing stored by hand."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanshi.accounts.models import User
from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.cases.transitions import Action
from sanshi.demo.scenarios import jiangjin_counts, rate
from sanshi.intake.models import Request
from sanshi.kpis.models import CaseFact
from sanshi.kpis.services import kpis_rebuild
from sanshi.registry.models import Level, OrgNode
from sanshi.registry.services import node_create

pytestmark = pytest.mark.slow
PASSWORD = "scenario-pass-123"


def api(client, username: str, query: str = "") -> dict:
    token = client.post("/api/v1/auth/token", {"username": username, "password": PASSWORD},
                        content_type="application/json")
    assert token.status_code == 200, token.content
    response = client.get(f"/api/v1/kpis{query}", HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert response.status_code == 200, response.content
    return response.json()


def dashboard(client, username: str) -> str:
    client.force_login(User.objects.get(username=username))
    response = client.get("/staff/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def figure(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">([^<]*)<', html)
    assert match, key
    return match.group(1)


def build(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--scenario", name, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_password(settings):
    settings.SANSHI_DEMO_PASSWORD = PASSWORD


def test_chengzi_closed_its_matters_and_its_hotline_orders_fell(db, client, demo_password):
    text = build("chengzi")
    assert "demo-cz-operator" in text and "[4/4]" in text and "场景 chengzi 已建成" in text

    # 城子街道's operator, the last twelve months (the default period, the default node: their street)
    body = api(client, "demo-cz-operator")
    assert body["node"] == {"code": "CZ", "name": "城子街道", "level": "street"}
    assert {k: body["closed"][k] for k in ("PUBLIC", "SHARED", "HOUSEHOLD")} == \
        {"PUBLIC": 56, "SHARED": 131, "HOUSEHOLD": 273}
    hotline, before = body["received_by_sub_channel"]["hotline"], body["previous_year"]["received_by_sub_channel"]["hotline"]
    assert (hotline, before) == (140, 163) and rate(hotline - before, before) == "-0.1411"
    assert body["received"]["total"] == 480 and body["open_now"] == 20  # 20 received lately, still in hand
    assert body["previous_year"]["closed"]["total"] == 505
    # each closed matter's round ended with its group's rating: 460 good, and one bad for each of the 20
    # redone a level up before it closed
    assert (body["counts"]["ratings"], body["counts"]["ratings_good"]) == (480, 460)
    assert body["satisfaction_rate"] == rate(460, 480) == "0.9583"

    # the same on the dashboard the operator signs in to
    html = dashboard(client, "demo-cz-operator")
    assert "城子街道 · 数据看板" in html and figure(html, "closed") == "460"
    assert "其中12345热线工单 140 件，上年同期 163 件，同比 -14.11%。" in html

    # the district sees both streets ranked; 城子街道's figures are its own rows, not the district's
    district = api(client, "demo-district")
    assert [c["node"]["code"] for c in district["children"]] == ["CZ", "DS"]
    assert district["children"][0]["closed"]["total"] == 460
    assert district["closed"]["total"] > 460

    # derived from event rows: one close event per closed case received in the window, one fact per case
    cz = OrgNode.objects.get(code="CZ")
    closes = CaseEvent.objects.filter(action=Action.CLOSE, case__grid__path__startswith=cz.path)
    assert closes.count() == 460 + 505
    assert CaseFact.objects.count() == Case.objects.count()
    kpis_rebuild()  # the cache thrown away and derived again from the events: the same figures
    again = api(client, "demo-cz-operator")
    assert (again["closed"], again["received_by_sub_channel"]) == (body["closed"], body["received_by_sub_channel"])

    # a case built in bulk reads like any other: its timeline on the staff page and the tracking page
    redone = Case.objects.filter(grid__path__startswith=cz.path, escalations=1, kind="PUBLIC").first()
    client.force_login(User.objects.get(username="demo-cz-operator"))
    page = client.get(f"/staff/cases/{redone.pk}/")
    assert page.status_code == 200 and "提级复议" in page.content.decode() and "下沉再办" in page.content.decode()
    code = Request.objects.get(case=redone).tracking_code
    tracked = client.get(f"/track/{code}/")
    assert tracked.status_code == 200 and "评价满意，事项办结" in tracked.content.decode()


def test_a_scenario_refuses_a_database_that_already_has_a_district(db, demo_password):
    node_create(code="XX", name="某区", level=Level.DISTRICT)
    for name in ("chengzi", "jiangjin"):
        with pytest.raises(CommandError, match=f"场景 {name} 只能装入空数据库"):
            build(name)
    with pytest.raises(CommandError, match="--scale"):
        build("jiangjin", "--scale", "0")
    assert "跳过场景 chengzi" in build("chengzi", "--if-empty")  # as the plain demo's --if-empty
    assert OrgNode.objects.count() == 1 and not Case.objects.exists() and not User.objects.filter(is_demo=True).exists()


def test_jiangjin_keeps_its_rates_at_a_twentieth_of_its_size(db, client, demo_password):
    """The same builder as `--scenario jiangjin` (30,041 matters: docs/scenarios.md gives its time),
    at a twentieth (1,553 matters): the nearest size whose whole numbers give the same two rates."""
    received, resolved, grassroots = jiangjin_counts(0.05)
    assert (rate(resolved, received), rate(grassroots, received)) == ("0.9775", "0.9697")
    text = build("jiangjin", "--scale", "0.05")
    assert "demo-district" in text and "97.75%" in text

    body = api(client, "demo-district")
    assert body["node"]["code"] == "JJ"
    assert body["received"]["total"] == received
    assert body["counts"]["resolved"] == resolved and body["counts"]["grassroots"] == grassroots
    assert (body["resolution_rate"], body["grassroots_resolution_rate"]) == ("0.9775", "0.9697")
    html = dashboard(client, "demo-district")
    assert figure(html, "resolution_rate") == "97.75%" and figure(html, "grassroots_resolution_rate") == "96.97%"
    # each case has its request and its opening event; the unresolved ones are still open
    assert Request.objects.count() == Case.objects.count() == received
    assert CaseEvent.objects.filter(action=Action.OPEN).count() == received
    assert Case.objects.exclude(status=Status.CLOSED).count() == received - resolved


def test_jiangjin_at_full_size_has_the_seeds_numbers():
    assert jiangjin_counts() == (30041, 29364, 29132)
    assert (rate(29364, 30041), rate(29132, 30041)) == ("0.9775", "0.9697")

"""GET /api/v1/kpis: who may ask for which node, the default node and period, and refusals that
name the field."""

import time_machine

from sanshi.registry.models import Role

from .conftest import TODAY


def get(client, token_for, user, query=""):
    with time_machine.travel(TODAY, tick=False):
        return client.get(f"/api/v1/kpis{query}", **token_for(user))


def test_the_node_defaults_to_the_top_of_the_callers_area(march, client, token_for):
    tops = {march.district_officer: "T", march.operator: "T1", march.street_officer: "T1",
            march.secretary: "T1C1", march.grid_worker: "T1C1-G01", march.grid_leader: "T1C1-G01"}
    for user, code in tops.items():
        response = get(client, token_for, user, "?from=2026-03-01&to=2026-03-31")
        assert response.status_code == 200 and response.json()["node"]["code"] == code, user
    district = get(client, token_for, march.district_officer, "?from=2026-03-01&to=2026-03-31").json()
    assert district["received"]["total"] == 9  # 城子街道's t2 too
    assert [c["node"]["code"] for c in district["children"]] == ["T1", "T2"]


def test_a_community_secretary_sees_the_community_and_its_grids_only(march, client, token_for):
    community = get(client, token_for, march.secretary, "?node=T1C1&from=2026-03-01&to=2026-03-31")
    assert community.status_code == 200 and community.json()["received"]["total"] == 5
    assert [c["node"]["code"] for c in community.json()["children"]] == ["T1C1-G01"]
    assert get(client, token_for, march.secretary, "?node=T1C1-G01").status_code == 200
    for outside in ("T1", "T", "T1C2", "T1C2-G01", "T2"):
        response = get(client, token_for, march.secretary, f"?node={outside}")
        assert response.status_code == 404 and response.json()["detail"] == "节点不存在或不在您的管辖范围内", outside
    assert get(client, token_for, march.secretary, "?node=NOSUCH").status_code == 404


def test_staff_without_an_area_are_refused(march, client, token_for):
    """Liaisons, the hotline system, the administrators and raters hold no area (DOMAIN.md §3b)."""
    for user in (march.liaison_zj, march.hotline, march.staff("kpi-audit", Role.AUDIT_ADMIN, march.district),
                 march.supervisor):
        response = get(client, token_for, user)
        assert response.status_code == 403 and "有辖区" in response.json()["detail"], user
    assert client.get("/api/v1/kpis").status_code == 401


def test_bad_dates_are_refused_naming_the_field(march, client, token_for):
    bad = get(client, token_for, march.operator, "?from=2026-13-01&to=2026-03-31")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"from"}
    bad = get(client, token_for, march.operator, "?from=2026-03-01&to=三月底")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"to"}
    backwards = get(client, token_for, march.operator, "?from=2026-04-01&to=2026-03-01")
    assert backwards.status_code == 400 and backwards.json()["errors"] == {"from": "开始日期不能晚于结束日期"}


def test_the_period_defaults_to_the_last_twelve_months(march, client, token_for):
    body = get(client, token_for, march.operator).json()
    assert body["period"] == {"from": "2025-04-16", "to": "2026-04-15"}
    assert body["received"]["total"] == 10  # February's two and March's eight; March 2025 falls outside
    assert [m["month"] for m in body["trend"]][:2] == ["2025-04", "2025-05"] and len(body["trend"]) == 13
    until_march = get(client, token_for, march.operator, "?to=2026-03-31").json()
    assert until_march["period"] == {"from": "2025-04-01", "to": "2026-03-31"}


def test_a_year_whose_period_before_is_the_year_before_reads_it_once(march, client, token_for):
    """The default period (twelve months to today) has the year before as its period before: both
    comparisons show the same figures, read once (the district's year was the slowest call in
    bench/dashboard.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def read(query):
        with CaptureQueriesContext(connection) as queries:
            body = get(client, token_for, march.operator, query).json()
        return body, len(queries)

    year, year_queries = read("?from=2025-04-16&to=2026-04-15")
    assert year["previous_period"]["period"] == year["previous_year"]["period"] == {"from": "2024-04-16",
                                                                                    "to": "2025-04-15"}
    assert year["previous_period"] == year["previous_year"]
    # 365 days of a leap year: the 365 days before end a day later than the year before, two reads
    other, other_queries = read("?from=2024-01-01&to=2024-12-30")
    assert other["previous_period"]["period"] != other["previous_year"]["period"]
    assert year_queries < other_queries


def test_a_period_is_read_as_its_whole_months_and_the_days_at_either_end():
    from datetime import date

    from sanshi.command.selectors import Period
    from sanshi.kpis.selectors import spans

    assert spans(Period(date(2025, 12, 6), date(2026, 12, 5))) == (
        [date(2026, m, 1) for m in range(1, 12)], [(date(2025, 12, 6), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 5))])
    assert spans(Period(date(2026, 1, 15), date(2026, 2, 10))) == ([], [(date(2026, 1, 15), date(2026, 2, 10))])
    assert spans(Period(date(2026, 2, 1), date(2026, 2, 28))) == ([date(2026, 2, 1)], [])
    assert spans(Period(date(2024, 2, 1), date(2024, 2, 28))) == ([], [(date(2024, 2, 1), date(2024, 2, 28))])  # leap year
    assert spans(Period(date(2026, 3, 31), date(2026, 3, 31))) == ([], [(date(2026, 3, 31), date(2026, 3, 31))])

"""Each figure of docs/kpis.md on 鼎山街道's March 2026 (tests/kpis/conftest.py), worked by hand and
read where a user reads it: GET /api/v1/kpis as the street's operator. The cases, in short:

    h_a  家事 G1 12345热线  triaged, closed good 3.0 days later, rated good ×2, visit 满意, on time
    h_b  家事 G1 网页       escalated to the community, closed good after 10.0 days, rated bad, good, good,
                            visit 不满意, on time
    h_c  家事 G2 网格巡查   closed when its rating period lapsed after 7.0 days, visit 基本满意, late
    s_a  共事 G1 网页       first triaged as 家事, re-routed; still open, its deadline (25 March) passed
    s_b  共事 G2 12345热线  escalated to the street, then the district; closed good after 15.0 days, rated
                            bad, bad, good; late
    p_a  公事 G1 上级交办   escalated to the district; a final bad rating closed it after 24.0 days, rated
                            bad ×2; late
    u_a  共事 G2 12345热线  an urgent event: dispatched in 30 s (limit 1 min), on site after 7 min (5),
                            result after 9 min (10); closed good after 10 hours (0.4 days), rated good
    r_a  —    G1 网页       still in the pool
    m_a  a hotline duplicate of h_a, merged into it: not counted alone
    t2   a household matter of 城子街道: not the street's

G1 = 东门社区's grid, G2 = 艾坪村's grid."""

import time_machine

from .conftest import TODAY

URL = "/api/v1/kpis?node={node}&from={a}&to={b}"


def figures(client, token_for, user, node="T1", a="2026-03-01", b="2026-03-31") -> dict:
    with time_machine.travel(TODAY, tick=False):
        response = client.get(URL.format(node=node, a=a, b=b), **token_for(user))
    assert response.status_code == 200, response.content
    return response.json()


def test_received_counts_the_cohort_by_kind_and_channel_and_a_merged_duplicate_with_its_case(march, client, token_for):
    body = figures(client, token_for, march.operator)
    assert body["node"] == {"code": "T1", "name": "鼎山街道", "level": "street"}
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    # eight matters: m_a is counted with h_a, t2 belongs to another street
    assert body["received"] == {"PUBLIC": 1, "SHARED": 3, "HOUSEHOLD": 3, "unsorted": 1, "total": 8}
    # 各级交办: h_a, s_b, u_a (12345) and p_a (上级); 网格摸排: h_c; 群众反映: h_b, s_a, r_a
    assert body["received_by_channel"] == {"assigned": 4, "patrol": 1, "resident": 3}
    assert body["received_by_sub_channel"] == {"hotline": 3, "superior": 1, "grid_patrol": 1, "web": 3}


def test_closed_counts_good_lapsed_and_final_closures(march, client, token_for):
    body = figures(client, token_for, march.operator)
    assert body["closed"] == {"PUBLIC": 1, "SHARED": 2, "HOUSEHOLD": 3, "unsorted": 0, "total": 6}
    assert body["closed_by_channel"] == {"assigned": 4, "patrol": 1, "resident": 1}


def test_open_and_overdue_now_whatever_the_period(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # open: s_a, r_a, February's f_b and a hotline order of March 2025; overdue: s_a's deadline passed
    assert (body["open_now"], body["overdue_now"]) == (4, 1)
    assert figures(client, token_for, march.operator, a="2026-01-01", b="2026-01-31")["open_now"] == 4


def test_resolution_rate_leaves_out_a_final_bad_rating(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # resolved: h_a, h_b, h_c (lapsed counts), s_b, u_a — not p_a (final bad) → 5 / 8
    assert body["resolution_rate"] == "0.6250"
    assert body["counts"]["resolved"] == 5


def test_grassroots_resolution_rate_leaves_out_what_reached_the_district(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # h_a, h_b (reached the community only), h_c, u_a; s_b was resolved at the district → 4 / 8
    assert body["grassroots_resolution_rate"] == "0.5000"


def test_each_kind_settled_at_its_own_level(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # 家事不出网格: h_a, h_c of h_a, h_b, h_c; 共事不出社区: u_a of s_a, s_b, u_a; 公事不出街道: none of p_a
    assert body["own_level_rate"] == {"HOUSEHOLD": "0.6667", "SHARED": "0.3333", "PUBLIC": "0.0000"}


def test_satisfaction_rate_counts_every_rating_and_the_follow_up_visits_apart(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # ratings: h_a 2 good; h_b 1 bad 2 good; s_b 2 bad 1 good; p_a 2 bad; u_a 1 good; h_c none (lapsed) → 6 / 11
    assert body["satisfaction_rate"] == "0.5455"
    assert (body["counts"]["ratings_good"], body["counts"]["ratings"]) == (6, 11)
    # visits: 满意 (h_a), 不满意 (h_b), 基本满意 (h_c) → 2 / 3
    assert body["visit_satisfaction_rate"] == "0.6667"


def test_response_and_timeliness_rates(march, client, token_for):
    body = figures(client, token_for, march.operator)
    assert body["response_rate"] == "0.8750"  # all but r_a left the pool: 7 / 8
    # closed with a deadline: h_a and h_b on time; h_c, s_b, p_a late (u_a runs on 1-5-10) → 2 / 5
    assert body["timeliness_rate"] == "0.4000"


def test_participation_counts_households_that_met_or_voted(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # four households; in March 1号 sat in a meeting, 2号 voted on the web, 4号's unit voted on paper;
    # 3号 sat in February's meeting only → 3 / 4
    assert body["participation_rate"] == "0.7500"
    assert (body["counts"]["took_part"], body["counts"]["households"]) == (3, 4)


def test_rapid_compliance_per_step(march, client, token_for):
    body = figures(client, token_for, march.operator)
    assert body["rapid_compliance"] == {
        "dispatch": {"met": 1, "missed": 0, "rate": "1.0000"}, "arrive": {"met": 0, "missed": 1, "rate": "0.0000"},
        "result": {"met": 1, "missed": 0, "rate": "1.0000"}, "reinforce": {"met": 0, "missed": 0, "rate": None}}


def test_median_days_to_close_by_kind(march, client, token_for):
    body = figures(client, token_for, march.operator)
    # 0.4, 3.0, 7.0, 10.0, 15.0, 24.0 → (7.0 + 10.0) / 2; 家事 3.0, 7.0, 10.0; 共事 0.4, 15.0; 公事 24.0
    assert body["median_days_to_close"] == {"all": "8.5", "HOUSEHOLD": "7.0", "SHARED": "7.7", "PUBLIC": "24.0"}


def test_escalation_and_bounce_back_rates(march, client, token_for):
    body = figures(client, token_for, march.operator)
    assert body["escalation_rate"] == "0.3750"  # h_b, s_b, p_a of 8
    assert body["bounce_back_rate"] == "0.1429"  # s_a re-routed, of the 7 triaged


def test_year_on_year_and_month_on_month(march, client, token_for):
    body = figures(client, token_for, march.operator)
    year = body["previous_year"]
    assert year["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert year["received"]["total"] == 4 and year["resolution_rate"] == "0.7500"
    # hotline work orders: 3 this March against 4 a year before — −25.00%, as the seed's −14.11%
    assert (body["received_by_sub_channel"]["hotline"], year["received_by_sub_channel"]["hotline"]) == (3, 4)
    month = body["previous_period"]
    assert month["period"] == {"from": "2026-02-01", "to": "2026-02-28"}
    assert (month["received"]["total"], month["closed"]["total"], month["resolution_rate"]) == (2, 1, "0.5000")


def test_the_trend_is_by_month_of_receipt(march, client, token_for):
    body = figures(client, token_for, march.operator, a="2026-02-01", b="2026-03-31")
    assert [(m["month"], m["received"], m["closed"], m["resolution_rate"]) for m in body["trend"]] == [
        ("2026-02", 2, 1, "0.5000"), ("2026-03", 8, 6, "0.6250")]


def test_children_one_level_down_with_the_same_figures(march, client, token_for):
    body = figures(client, token_for, march.operator)
    kids = {c["node"]["code"]: c for c in body["children"]}
    assert list(kids) == ["T1C1", "T1C2"]
    # 东门社区: h_a, h_b, s_a, p_a, r_a — resolved h_a, h_b; 艾坪村: h_c, s_b, u_a, all resolved
    assert (kids["T1C1"]["received"]["total"], kids["T1C1"]["resolution_rate"]) == (5, "0.4000")
    assert (kids["T1C2"]["received"]["total"], kids["T1C2"]["resolution_rate"]) == (3, "1.0000")
    assert kids["T1C2"]["grassroots_resolution_rate"] == "0.6667"  # s_b reached the district
    assert (kids["T1C1"]["open_now"], kids["T1C1"]["overdue_now"]) == (3, 1)
    assert (kids["T1C2"]["open_now"], kids["T1C2"]["overdue_now"]) == (1, 0)
    assert (kids["T1C1"]["participation_rate"], kids["T1C2"]["participation_rate"]) == ("0.6667", "1.0000")
    # a grid has no children: the drill-down ends there
    assert figures(client, token_for, march.operator, node="T1C1-G01")["children"] == []


def test_a_rate_with_nothing_to_count_is_null(march, client, token_for):
    body = figures(client, token_for, march.operator, a="2024-01-01", b="2024-01-31")
    assert body["received"]["total"] == 0
    assert body["resolution_rate"] is None and body["satisfaction_rate"] is None
    assert body["median_days_to_close"]["all"] is None


def test_a_period_cut_inside_months_counts_the_days_it_holds(march, client, token_for):
    """Whole months are read from the month rows, the days at either end from the day rows: 15 February
    to 5 March holds f_b (20 Feb), h_a (with its duplicate), h_b, s_a and s_b — not f_a (10 Feb), nor
    what came on 6 March or later."""
    body = figures(client, token_for, march.operator, a="2026-02-15", b="2026-03-05")
    assert body["received"] == {"PUBLIC": 0, "SHARED": 3, "HOUSEHOLD": 2, "unsorted": 0, "total": 5}
    assert body["closed"]["total"] == 3  # h_a, h_b, s_b
    assert [(m["month"], m["received"]) for m in body["trend"]] == [("2026-02", 1), ("2026-03", 4)]
    # February and March whole, and the same two months less 1 February (no case that day): the same figures
    whole = figures(client, token_for, march.operator, a="2026-02-01", b="2026-03-31")
    cut = figures(client, token_for, march.operator, a="2026-02-02", b="2026-03-31")
    assert whole["received"]["total"] == 10 and whole["median_days_to_close"]["all"] is not None
    for name in ("received", "closed", "resolution_rate", "satisfaction_rate", "median_days_to_close", "trend",
                 "rapid_compliance", "children"):
        assert cut[name] == whole[name], name

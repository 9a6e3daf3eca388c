"""The dashboard on a phone, in Chromium: nothing wider than the screen, every chart drawn, a "?"
opens its definition on the screen, a tap on a child drills down; and the wall mode."""

import os
from urllib.parse import quote

import pytest

from ..conftest import PASSWORD

QUERY = "?node=T1&from=2026-03-01&to=2026-03-31"
SHOTS = os.environ.get("SANSHI_SCREENSHOTS", "")  # a directory to keep the screenshots in


def _shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), name), full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_dashboard_fits_a_phone_and_drills_down(march, live_server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{live_server.url}/accounts/login/?next={quote('/staff/dashboard/' + QUERY)}")
    page.fill("#id_username", march.operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("#tiles")
    assert page.inner_text("[data-figure='resolution_rate']") == "62.50%"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for chart in ("#chart-months", "#chart-kinds", "#chart-channels", "#chart-own-level", "#rapid", "#ranked"):
        box = page.locator(f"{chart} svg").first.bounding_box()
        assert box and box["width"] > 200 and box["x"] + box["width"] <= 390, chart
    # a "?" opens the definition, inside the screen
    page.click("#tile-resolution_rate summary")
    definition = page.locator("#tile-resolution_rate details.def p").bounding_box()
    assert definition and definition["x"] >= 0 and definition["x"] + definition["width"] <= 390
    _shot(page, tmp_path, "dashboard-phone.png")
    # a tap on a child in the ranked chart opens its dashboard
    page.click("#ranked svg a >> nth=0")
    page.wait_for_selector("h1:has-text('艾坪村')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/staff/dashboard/{QUERY}&wall=1")
    page.wait_for_selector("body.wall #tiles")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, tmp_path, "wall-phone.png")

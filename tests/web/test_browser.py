"""A resident submits on the public page in a real browser, then follows the status."""

import pytest

from sanshi.cases.models import Case
from sanshi.intake.models import Request

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_resident_submits_then_sees_status_on_tracking_page(world, live_server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)  # a phone screen
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_text", "小区楼道灯坏了一个多月，晚上老人上下楼很危险，希望尽快修好。")
    page.fill("#id_address", "鼎城花园3栋")
    page.fill("#id_reporter_phone", "13700001234")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    request = Request.objects.get(tracking_code=code)
    assert request.grid == world.grid  # the address resolved to the grid
    assert request.case.status == "received"

    page.click("text=查看办理进度")
    page.wait_for_selector("#timeline li")
    assert page.inner_text("#status") == "已受理"
    assert "诉求已受理" in page.inner_text("#timeline")

    # the command centre triages it; the resident reloads and sees the new status and body
    from sanshi.cases.services import case_triage

    case_triage(actor=world.operator, case=Case.objects.get(pk=request.case_id), kind="SHARED", catalogue_code="S5")
    page.reload()
    assert page.inner_text("#status") == "已分拣"
    body_text = page.inner_text("main")
    assert "社区评议会" in body_text and "13700001234" not in body_text
    page.screenshot(path=str(tmp_path / "track.png"), full_page=True)

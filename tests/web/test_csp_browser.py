"""The Content-Security-Policy (scripts from this site's files only, no inline script or on…=
handler) breaks no page: the case page of an urgent case, the command board and the report page
load in Debian's Chromium with no violation reported, and the scripts moved out of the templates
still run (the urgent panel's countdown ticks, the board refreshes)."""

import pytest

from sanshi.cases.services import case_triage
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import ResponseTeam, TeamKind

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser

# every violation, whether or not the console shows it: recorded before the page's own scripts run
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__cspViolations") + [m for m in console if "Content Security Policy" in m]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_pages_run_under_the_policy_without_a_violation(world, live_server, browser):
    ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD, on_duty=True)
    request = request_submit(actor=world.operator, data=RequestInput(
        text="鼎城花园地下车库水管爆裂，水已漫到电梯井，需要马上处置", title="车库水管爆裂",
        sub_channel="web", grid_code=world.grid.code))
    case = case_triage(actor=world.operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                       reason="紧急事件，按快响处置")
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    # the report page, as a resident opens it
    response = page.goto(f"{live_server.url}/report/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert violations(page, console) == []

    # the operator signs in; the case page of the urgent case: its countdown ticks (countdown.js)
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/cases/{case.pk}/")
    page.fill("#id_username", world.operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector(".countdown[data-due]", timeout=8000)  # empty (hidden) if the script is blocked
    first = page.inner_text(".countdown[data-due]")
    page.wait_for_timeout(1500)
    assert page.inner_text(".countdown[data-due]") != first and "剩余" in first
    assert violations(page, console) == []

    # the command board: HTMX refreshes it every 3 s, board.js ticks its clocks
    page.goto(f"{live_server.url}/staff/command/")
    page.wait_for_selector(f"#panel-urgent [data-case='{case.pk}']")
    with page.expect_response(lambda r: "/staff/command/" in r.url and r.request.headers.get("hx-request")):
        pass
    assert violations(page, console) == []
    context.close()

"""The command-centre board in a real browser (Debian's Chromium, phone screen): an operator has the
board open; an urgent event comes in; without a reload the board shows it and its clock ticks."""

import pytest

from sanshi.cases.services import case_triage
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Dispatch, ResponseTeam, TeamKind

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_board_shows_a_new_urgent_event_and_its_countdown_without_a_reload(world, live_server, browser,
                                                                               tmp_path):
    ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD, on_duty=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)  # a phone screen

    # the operator signs in and opens the board: nothing urgent yet
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/command/")
    page.fill("#id_username", world.operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("#panel-urgent")
    assert "没有进行中的紧急事件" in page.inner_text("#panel-urgent")
    page.evaluate("window.__sameDocument = 'yes'")  # gone if the page reloads

    # a call comes in and the operator triages it as urgent (as at the command centre's desk)
    request = request_submit(actor=world.operator, data=RequestInput(
        text="鼎城花园地下车库水管爆裂，水已漫到电梯井，需要马上处置", title="车库水管爆裂",
        sub_channel="web", grid_code=world.grid.code))
    case = case_triage(actor=world.operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                       reason="紧急事件，按快响处置")

    # within the next refresh (every 3 s) the event is on the board, with its clocks and suggested team
    event = f"#panel-urgent [data-case='{case.pk}']"
    page.wait_for_selector(event, timeout=8000)
    assert page.evaluate("window.__sameDocument") == "yes"
    assert "车库水管爆裂" in page.inner_text(event)
    assert "鼎山应急队" in page.inner_text(f"{event} .suggest")
    countdown = f"{event} [data-clock='arrive'] .countdown"
    first = page.inner_text(countdown)
    assert first.startswith("剩余 0")
    page.wait_for_timeout(1500)
    later = page.inner_text(countdown)
    assert later != first and later.startswith("剩余 0")  # it ticks in the browser
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone's width
    page.screenshot(path=str(tmp_path / "board.png"), full_page=True)

    # one tap sends the suggested team (HTMX posts the form, CSRF token included, and swaps the board)
    page.click(f"{event} button:has-text('派给鼎山应急队')")
    page.wait_for_selector(f"{event}:has-text('鼎山应急队·待接单')", timeout=8000)
    assert Dispatch.objects.get(case=case).team.name == "鼎山应急队"
    assert "已派单给鼎山应急队" in page.inner_text("#board-messages")
    assert page.evaluate("window.__sameDocument") == "yes"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_compliance_charts_fit_a_phone(world, live_server, browser, tmp_path):
    from sanshi.rapid.services import case_dispatch

    squad = ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD, on_duty=True)
    for i in range(3):
        request = request_submit(actor=world.operator, data=RequestInput(
            text=f"第{i}处水管爆裂，需要马上处置", sub_channel="web", grid_code=world.grid.code))
        case = case_triage(actor=world.operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                           reason="紧急事件")
        if i:
            case_dispatch(actor=world.operator, case=case, team=squad)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/command/compliance/")
    page.fill("#id_username", world.operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("#dispatch-distribution svg")
    assert page.is_visible("#overall svg")
    assert "已派单 2 件，尚未派单 1 件" in page.inner_text("#dispatch-distribution")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "compliance.png"), full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_responder_runs_the_steps_on_a_phone_one_tap_each(world, live_server, browser, tmp_path):
    """The team member's page on a phone: accept, arrived, ask for reinforcement, report the result
    with a photo from the camera input — each one tap, each an event with its time."""
    from PIL import Image

    from sanshi.cases.models import CaseEvent
    from sanshi.rapid.models import TeamMember
    from sanshi.rapid.services import case_dispatch
    from sanshi.registry.models import Role

    team = ResponseTeam.objects.create(street=world.street, name="鼎山应急队", kind=TeamKind.SQUAD, on_duty=True)
    member = world.staff("squad-lead", Role.RESPONDER, world.street)
    TeamMember.objects.create(team=team, user=member, is_leader=True)
    request = request_submit(actor=world.operator, data=RequestInput(
        text="鼎城花园3栋楼道起火冒烟，有老人被困", title="楼道起火", sub_channel="web", grid_code=world.grid.code))
    case = case_triage(actor=world.operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                       reason="紧急事件，按快响处置")
    dispatch = case_dispatch(actor=world.operator, case=case, team=team)
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (64, 48), (200, 60, 40)).save(photo, "JPEG")

    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/rapid/")
    page.fill("#id_username", member.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    card = f"#dispatch-{dispatch.pk}"
    page.wait_for_selector(card)
    assert "楼道起火" in page.inner_text(card) and "鼎城花园3栋" in page.inner_text(card)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone's width

    page.click(f"{card} button:has-text('接单')")
    page.wait_for_selector(f"{card} button:has-text('已到场')")
    page.click(f"{card} button:has-text('已到场')")
    page.wait_for_selector(f"{card} button:has-text('反馈处置结果')")
    page.click(f"{card} summary:has-text('请求增援')")
    page.fill(f"#note-{dispatch.pk}", "火势扩大，需要消防和派出所增援")
    page.click(f"{card} button.secondary:has-text('请求增援')")
    page.wait_for_selector(f"{card}:has-text('已请求增援')")
    page.fill(f"#result-{dispatch.pk}", "明火已扑灭，被困老人已转移，无人受伤")
    page.set_input_files(f"#photo-{dispatch.pk}", str(photo))
    page.screenshot(path=str(tmp_path / "responder.png"), full_page=True)
    page.click(f"{card} button:has-text('反馈处置结果')")
    page.wait_for_selector("text=现在没有待处置的派单")

    dispatch.refresh_from_db()
    assert dispatch.accepted_at <= dispatch.arrived_at <= dispatch.reinforcement_requested_at <= dispatch.result_at
    assert dispatch.reinforcement_note == "火势扩大，需要消防和派出所增援"
    assert dispatch.result == "明火已扑灭，被困老人已转移，无人受伤" and dispatch.photo.name.endswith(".jpg")
    steps = list(CaseEvent.objects.filter(case=case, action__in=["accept", "arrive", "request_reinforcement",
                                                                  "report_result"]).order_by("at", "id")
                 .values_list("action", "actor_id"))
    assert steps == [("accept", member.pk), ("arrive", member.pk), ("request_reinforcement", member.pk),
                     ("report_result", member.pk)]

"""An owner votes on a phone in a real browser (Debian's Chromium): the code by SMS, the choice, done —
and the staff's vote page fits a phone's width, its chart included."""

import re

import pytest

from sanshi.core.jobs import run_due_jobs
from sanshi.votes.models import Ballot
from sanshi.votes.services import SEND_CODE_JOB

from ..conftest import PASSWORD
from .test_web_ballot import Gateway

pytestmark = pytest.mark.browser


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_an_owner_votes_on_a_phone(world, compound, resolution, live_server, browser, settings):
    settings.SANSHI_SMS_BACKEND = "tests.votes.test_web_ballot.Gateway"
    Gateway.sent, Gateway.down = [], False
    compound.add("2栋201室", "90.00", "王建国", phone="13800000001")
    compound.add("2栋202室", "90.00", "李秀英", phone="13900000002")
    vote = compound.open(resolution, item=8, title="地面公共车位收费管理办法")
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{live_server.url}/votes/{vote.pk}/ballot/")
    assert "地面公共车位收费管理办法" in page.inner_text("main") and _fits(page)
    page.fill("#id_phone", "13800000001")
    page.click("button:has-text('获取验证码')")
    page.wait_for_selector("#code-sent")
    run_due_jobs(kinds=[SEND_CODE_JOB])
    code = re.search(r"验证码 (\d{6})", Gateway.sent[-1][1]).group(1)
    page.fill("#id_code", code)
    page.click("button:has-text('下一步')")
    page.wait_for_selector("text=本次投票计入以下房屋")
    assert "鼎城花园2栋201室" in page.inner_text("main") and "鼎城花园2栋202室" not in page.inner_text("main")
    page.check("input[name=choice][value=yes]")
    page.click("button:has-text('提交投票')")
    page.wait_for_selector("#ballot-done")
    assert "同意" in page.inner_text("#ballot-done") and _fits(page)
    assert list(Ballot.objects.values_list("choice", "channel")) == [("yes", "web")]

    # the secretary's vote page on the same phone: the chart is drawn and nothing overflows
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/votes/{vote.pk}/")
    page.fill("#id_username", world.secretary.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("#tally svg")
    assert "1 / 2 人 · 50.00% · 目前未达到" in page.inner_text("#tally") and _fits(page)

"""The report form carries a one-time token (issue 19): a double click, or the page sent again after
a timeout, makes one case and shows the first case's done page."""

import re
import threading

import pytest
from django.core import signing
from django.db import connection
from django.test import Client

from sanshi.cases.models import Case
from sanshi.intake.models import Request

REPORT = {"text": "楼道里堆满杂物，堵住了消防通道", "sub_channel": "web", "address": "鼎城花园3栋"}


def issued_token(client) -> str:
    page = client.get("/report/").content.decode()
    [token] = re.findall(r'name="once" value="([^"]+)"', page)
    return token


def test_the_form_sent_twice_makes_one_case_and_shows_its_done_page(world, client):
    token = issued_token(client)
    first = client.post("/report/", {**REPORT, "once": token})
    again = client.post("/report/", {**REPORT, "once": token})
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == f"/report/done/{Request.objects.get().tracking_code}/"
    assert Case.objects.count() == 1
    assert client.get(again["Location"]).status_code == 200


def test_each_form_issued_is_a_new_report(world, client):
    client.post("/report/", {**REPORT, "once": issued_token(client)})
    client.post("/report/", {**REPORT, "once": issued_token(client)})
    assert Case.objects.count() == 2


def test_the_page_sent_again_with_other_content_asks_before_making_a_second_case(world, client):
    token = issued_token(client)
    client.post("/report/", {**REPORT, "once": token})
    other = client.post("/report/", {**REPORT, "text": "另一件事：小区门口的路灯坏了", "once": token})
    assert other.status_code == 400 and "这份表单已经提交过一次" in other.content.decode()
    assert Case.objects.count() == 1
    [fresh] = re.findall(r'name="once" value="([^"]+)"', other.content.decode())
    assert fresh != token and "另一件事" in other.content.decode()  # the text is kept, with a new token
    assert client.post("/report/", {**REPORT, "text": "另一件事：小区门口的路灯坏了", "once": fresh}).status_code == 302
    assert Case.objects.count() == 2


def test_a_form_without_a_token_of_ours_is_submitted_as_before(world, client):
    forged = signing.dumps("0" * 32, salt="another-salt")
    assert client.post("/report/", REPORT).status_code == 302
    assert client.post("/report/", {**REPORT, "once": forged}).status_code == 302
    assert client.post("/report/", {**REPORT, "once": forged}).status_code == 302
    assert Case.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_double_click_sent_at_once_makes_one_case(postgres_only, world):
    """Two posts of one form at the same moment (two processes, two connections): the second waits
    for the first's transaction (an advisory lock on the token) and answers its done page."""
    token = issued_token(Client())
    start, answers = threading.Barrier(2), []

    def click():
        try:
            start.wait(10)
            answers.append(Client().post("/report/", {**REPORT, "once": token}))
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(60)
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"] == f"/report/done/{Request.objects.get().tracking_code}/"
    assert Case.objects.count() == 1

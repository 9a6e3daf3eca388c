"""Notifications: in-app rows written in the caller's transaction; e-mail, webhook and SMS
deliveries sent by the worker after commit, retried with back-off, never sent twice once delivered."""

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from sanshi.accounts.models import User
from sanshi.cases.models import WhistleCall
from sanshi.core.channels.sms import SmsBackend
from sanshi.core.jobs import _claim, enqueue, run_due_jobs
from sanshi.core.models import Delivery, Job, Notification, NotificationPreference, WebhookEndpoint
from sanshi.core.notify import DELIVER_JOB, notify, sms_to_reporter
from sanshi.intake.services import RequestInput, request_submit

from ..conftest import PASSWORD
from ..helpers import run_in_threads

PHONE = "13812345678"


def later(seconds: float):
    """The worker's clock, moved on past a back-off."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


# ---- a real HTTP receiver on 127.0.0.1 --------------------------------------------------------

class Receiver:
    """A webhook receiver in a thread. `plan` is the list of (status, delay) it answers with, one
    per request, then 200s; `received` holds (headers, raw body) of every request."""

    def __init__(self):
        self.plan: list[tuple[int, float]] = []
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status, delay = receiver.plan.pop(0) if receiver.plan else (200, 0)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # the client gave up (timeout test): nothing to report
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def channels(settings):
    settings.SANSHI_NOTIFY_CHANNELS = {"*": ["email", "webhook"]}
    settings.SANSHI_WEBHOOK_URL = ""
    settings.SANSHI_SITE_URL = "https://sanshi.example.cn"
    return settings


def staff(username, email="") -> User:
    return User.objects.create_user(username=username, password=PASSWORD, email=email, display_name=username)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs/notifications.md): HMAC-SHA256 over "<timestamp>.<body>"."""
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-Sanshi-Timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Sanshi-Signature"])


# ---- after commit -----------------------------------------------------------------------------

def test_rows_are_written_in_the_transaction_and_a_rollback_sends_nothing(db, channels, mailoutbox, receiver):
    # given an operator with an e-mail address and a webhook endpoint
    operator = staff("op", "op@example.cn")
    WebhookEndpoint.objects.create(name="值班群", url=receiver.url, secret="s3cret")

    # when the service that notifies fails after notify() was called
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[operator], subject="快响超时", body="派单超时", kind="clock_breach")
        assert Notification.objects.count() == 1 and Delivery.objects.count() == 2  # written in the transaction
        raise RuntimeError("the action failed")

    # then nothing is left and the worker sends nothing
    assert (Notification.objects.count(), Delivery.objects.count(), Job.objects.count()) == (0, 0, 0)
    assert run_due_jobs() == 0
    assert mailoutbox == [] and receiver.received == []

    # when it commits, nothing is sent until the worker runs, then each delivery once
    with transaction.atomic():
        notify(recipients=[operator], subject="快响超时", body="派单超时", kind="clock_breach")
    assert mailoutbox == [] and receiver.received == []
    assert run_due_jobs() == 2
    assert len(mailoutbox) == 1 and len(receiver.received) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert run_due_jobs() == 0


def test_email_goes_to_each_recipient_with_an_address_after_the_worker_runs(db, channels, mailoutbox):
    leader, no_address = staff("leader", "leader@example.cn"), staff("noaddr")
    notes = notify(recipients=[leader, no_address, leader], subject="督办提醒：T-001", body="台账事项已超期",
                   kind="ledger_warning", link="/staff/cases/7/")

    assert [n.recipient for n in notes] == [leader, no_address]  # duplicates once; both see it in the app
    assert notes[0].kind == "ledger_warning" and notes[0].link == "/staff/cases/7/"
    email = Delivery.objects.get(channel="email")
    assert email.target == "leader@example.cn" and email.status == "pending"

    run_due_jobs()
    [message] = mailoutbox
    assert message.to == ["leader@example.cn"] and message.subject == "督办提醒：T-001"
    assert "台账事项已超期" in message.body and "https://sanshi.example.cn/staff/cases/7/" in message.body
    assert message.extra_headers["X-Sanshi-Delivery"] == str(email.uid)
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 1 and email.delivered_at is not None


def test_channels_are_chosen_per_kind(db, channels, mailoutbox):
    channels.SANSHI_NOTIFY_CHANNELS = {"clock_breach": ["email"], "*": []}
    user = staff("op", "op@example.cn")
    WebhookEndpoint.objects.create(name="群", url="http://127.0.0.1:9/hook")
    notify(recipients=[user], subject="一般消息", body="…", kind="note")
    assert Delivery.objects.count() == 0 and Notification.objects.count() == 1  # in the app only
    notify(recipients=[user], subject="快响超时", body="…", kind="clock_breach")
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]


# ---- webhooks ---------------------------------------------------------------------------------

def test_a_failed_webhook_is_retried_delivered_once_and_signed(db, channels, receiver):
    # given an endpoint for breaches (and one for other kinds, and one switched off)
    endpoint = WebhookEndpoint.objects.create(name="指挥中心", url=receiver.url, secret="s3cret",
                                              kinds="clock_breach, whistle_call")
    WebhookEndpoint.objects.create(name="台账", url=receiver.url, kinds="ledger_warning")
    WebhookEndpoint.objects.create(name="停用", url=receiver.url, active=False)
    receiver.plan = [(500, 0)]  # the receiver is down the first time

    notify(recipients=[staff("op")], subject="快响超时：20261120-X", body="到场超时", kind="clock_breach",
           link="/staff/cases/1/", data={"case": "20261120-X"})
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.endpoint == endpoint

    # first attempt: 500 → recorded, retried later
    assert run_due_jobs() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "WebhookFailed: HTTP 500")
    assert run_due_jobs() == 0  # backing off
    with later(31):
        assert run_due_jobs() == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2

    # both requests carried the same delivery id, so a receiver can drop a duplicate
    assert len(receiver.received) == 2
    (h1, b1), (h2, b2) = receiver.received
    assert h1["X-Sanshi-Delivery"] == h2["X-Sanshi-Delivery"] == str(delivery.uid)
    assert h2["X-Sanshi-Event"] == "clock_breach"
    assert verify("s3cret", h2, b2) and not verify("wrong", h2, b2)
    body = json.loads(b2)
    assert body["id"] == str(delivery.uid) and body["event"] == "clock_breach" and body["case"] == "20261120-X"
    assert body["link"] == "https://sanshi.example.cn/staff/cases/1/" and body["recipients"] == ["op"]

    # a second job for the same delivery (a duplicate, or a retry after a crash) sends nothing
    enqueue(DELIVER_JOB, {"delivery": delivery.pk})
    assert run_due_jobs() == 1
    assert len(receiver.received) == 2


def test_a_webhook_that_times_out_is_retried(db, channels, receiver):
    channels.SANSHI_WEBHOOK_TIMEOUT_SECONDS = 0.3
    WebhookEndpoint.objects.create(name="慢", url=receiver.url, secret="k")
    receiver.plan = [(200, 1.0)]  # answers too late the first time
    notify(recipients=[], subject="吹哨报到", body="…", kind="whistle_call")

    run_due_jobs()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and "0.3 s" in delivery.last_error
    with later(31):
        run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2


def test_a_slow_receiver_does_not_keep_the_worker_from_its_sweeps(db, channels, receiver):
    channels.SANSHI_JOB_BATCH_SECONDS = 0.2
    WebhookEndpoint.objects.create(name="慢", url=receiver.url)
    receiver.plan = [(200, 0.4)]
    notify(recipients=[], subject="一", body="…", kind="a")
    notify(recipients=[], subject="二", body="…", kind="b")
    assert run_due_jobs() == 1  # the round ends after the slow one; the worker sweeps clocks, then goes on
    assert run_due_jobs() == 1
    assert Delivery.objects.filter(status="sent").count() == 2


def test_after_the_last_attempt_a_delivery_is_failed_and_listed_for_the_admin(db, channels, client):
    channels.SANSHI_JOB_MAX_ATTEMPTS = 2
    WebhookEndpoint.objects.create(name="无人接收", url="http://127.0.0.1:9/hook")  # discard port: refused
    notify(recipients=[], subject="督办", body="…", kind="ledger_notice")
    run_due_jobs()
    with later(31):
        run_due_jobs()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2) and "connection failed" in delivery.last_error
    assert Job.objects.get().status == "failed"

    admin = User.objects.create_superuser(username="sysadmin", password=PASSWORD)
    client.force_login(admin)
    page = client.get("/admin/core/delivery/?status__exact=failed").content.decode()
    assert "http://127.0.0.1:9/hook" in page and "发送失败" in page
    # the admin sends it again once the endpoint is fixed
    client.post("/admin/core/delivery/", {"action": "retry", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "pending" and Job.objects.filter(status="pending").count() == 1


def test_a_job_whose_worker_died_runs_again_after_its_lease(db, channels, mailoutbox):
    notify(recipients=[staff("op", "op@example.cn")], subject="提醒", body="…")
    assert _claim() is not None  # a worker claimed it and died before sending
    assert run_due_jobs() == 0 and mailoutbox == []
    with later(channels.SANSHI_JOB_LEASE_SECONDS + 1):
        assert run_due_jobs() == 1
    assert len(mailoutbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql" and os.environ.get("SANSHI_REQUIRE_POSTGRES") != "1",
                    reason="this test needs PostgreSQL (skipped before its database is set up: no flush)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_workers_deliver_each_webhook_once(postgres_only, channels, receiver):
    WebhookEndpoint.objects.create(name="群", url=receiver.url, secret="k")
    for n in range(20):
        notify(recipients=[], subject=f"事件{n}", body="…", kind="clock_breach")

    def worker():
        while run_due_jobs(limit=3):
            pass

    run_in_threads(worker)
    ids = [headers["X-Sanshi-Delivery"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 20
    assert Delivery.objects.filter(status="sent").count() == 20


def test_the_whistle_call_tells_the_liaison_through_notify(world, channels, receiver, mailoutbox):
    WebhookEndpoint.objects.create(name="住建", url=receiver.url, kinds="whistle_call")
    world.liaison_zj.email = "zj@example.cn"
    world.liaison_zj.save()
    case = request_submit(actor=None, data=RequestInput(text="道路塌陷需要抢修", grid_code="T1C1-G01")).case
    call = WhistleCall.objects.create(case=case, department=world.zj, called_at=timezone.now())

    enqueue("notify_department", {"whistle_call": call.pk})
    run_due_jobs()  # the handler, then the deliveries it queued

    note = Notification.objects.get(recipient=world.liaison_zj)
    assert note.kind == "whistle_call" and note.link == f"/staff/cases/{case.pk}/" and case.number in note.subject
    assert not Notification.objects.filter(recipient=world.liaison_cg).exists()
    assert mailoutbox[0].to == ["zj@example.cn"]
    [(_, body)] = receiver.received
    assert json.loads(body)["department"] == "ZJ" and json.loads(body)["case"] == case.number


# ---- SMS --------------------------------------------------------------------------------------

class FlakyGateway(SmsBackend):
    """A gateway adapter (SANSHI_SMS_BACKEND = its dotted path) that refuses the first message."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        if not FlakyGateway.sent:
            FlakyGateway.sent.append(("", ""))
            raise RuntimeError(f"gateway busy for {phone}")
        FlakyGateway.sent.append((phone, text))


def _reporter_request():
    return request_submit(actor=None, data=RequestInput(text="楼道灯坏了很久没人修", grid_code="T1C1-G01",
                                                        reporter_phone=PHONE))


def test_the_log_sms_backend_records_only_the_masked_number(world, settings, caplog):
    settings.SANSHI_SMS_BACKEND = "log"
    request = _reporter_request()
    request.feedback = f"您反映的事项（{request.case.number}）已办结：已更换灯泡"
    request.save()

    enqueue("feedback_reporter", {"request": request.pk})  # what closing a case queues
    with caplog.at_level(logging.INFO, logger="sanshi.sms"):
        run_due_jobs()

    sms = Delivery.objects.get(channel="sms")
    assert sms.status == "sent" and sms.target == "138****5678" and sms.request == request
    assert request.tracking_code in sms.payload["text"]
    assert "138****5678" in caplog.text and "已办结" in caplog.text
    stored = json.dumps([list(Delivery.objects.values()), list(Job.objects.values("payload", "last_error"))],
                        default=str)
    assert PHONE not in caplog.text and PHONE not in stored


def test_sms_is_not_queued_when_disabled_and_a_gateway_failure_is_retried_without_the_number(world, settings):
    request = _reporter_request()
    assert sms_to_reporter(request=request, text="已办结", kind="case_feedback") is None  # default: disabled

    settings.SANSHI_SMS_BACKEND = "tests.core.test_notifications.FlakyGateway"
    FlakyGateway.sent = []
    delivery = sms_to_reporter(request=request, text="已办结", kind="case_feedback")
    run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "gateway busy" in delivery.last_error
    assert PHONE not in delivery.last_error and PHONE not in Job.objects.get().last_error
    with later(31):
        run_due_jobs()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and FlakyGateway.sent[-1] == (PHONE, "已办结")


# ---- the inbox --------------------------------------------------------------------------------

def test_the_inbox_shows_only_my_notifications_and_marks_them_read(world, client):
    me, other = world.operator, world.street_officer
    first, second = (notify(recipients=[me], subject=s, body="请尽快处理", kind="clock_breach", link="/staff/pool/")[0]
                     for s in ("快响超时：甲", "快响超时：乙"))
    [theirs] = notify(recipients=[other], subject="别人的通知", body="…")
    client.force_login(me)

    page = client.get("/staff/notifications/").content.decode()
    assert "快响超时：甲" in page and "快响超时：乙" in page and "别人的通知" not in page
    assert "您有 2 条未读通知" in page
    assert 'id="nav-notifications">通知 <span class="badge"' in page and ">2</span>" in page

    # "去处理" marks it read and opens the page to act on
    response = client.post("/staff/notifications/", {"open": first.pk})
    assert response.status_code == 302 and response["Location"] == "/staff/pool/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert "您有 1 条未读通知" in client.get("/staff/notifications/").content.decode()
    assert "快响超时：甲" not in client.get("/staff/notifications/?unread=1").content.decode()

    # someone else's notification cannot be read or opened
    assert client.post("/staff/notifications/", {"read": theirs.pk}).status_code == 404
    assert client.post("/staff/notifications/", {"open": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    client.post("/staff/notifications/", {"read": second.pk})
    page = client.get("/staff/notifications/").content.decode()
    assert "没有未读通知" in page and 'id="nav-notifications">通知</a>' in page


def test_mark_all_read_and_an_outside_link_is_not_followed(world, client):
    me = world.operator
    [evil] = notify(recipients=[me], subject="外链", body="…", link="https://evil.example.com/")
    notify(recipients=[me], subject="第二条", body="…")
    client.force_login(me)
    assert client.post("/staff/notifications/", {"open": evil.pk})["Location"] == "/staff/notifications/"
    response = client.post("/staff/notifications/", {"all": "1"}, follow=True)
    assert "已将 1 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


def test_the_api_lists_my_notifications_and_marks_them_read(world, client, token_for):
    me, other = world.operator, world.street_officer
    first, second = (notify(recipients=[me], subject=s, body="请尽快处理", kind="clock_breach", link="/staff/command/")[0]
                     for s in ("快响超时：甲", "快响超时：乙"))
    [theirs] = notify(recipients=[other], subject="别人的通知", body="…")
    auth = token_for(me)

    inbox = client.get("/api/v1/notifications", **auth).json()
    assert inbox["unread"] == 2
    assert [n["subject"] for n in inbox["items"]] == ["快响超时：乙", "快响超时：甲"]  # newest first, only mine
    assert inbox["items"][0] | {"created_at": None} == {
        "id": second.pk, "kind": "clock_breach", "subject": "快响超时：乙", "body": "请尽快处理",
        "link": "/staff/command/", "created_at": None, "read_at": None}

    # someone else's id is ignored, mine is marked
    response = client.post("/api/v1/notifications/read", {"ids": [first.pk, theirs.pk]},
                           content_type="application/json", **auth)
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 1}
    theirs.refresh_from_db()
    first.refresh_from_db()
    assert theirs.read_at is None and first.read_at is not None
    assert [n["id"] for n in client.get("/api/v1/notifications?unread=true", **auth).json()["items"]] == [second.pk]

    # no ids: all unread; bad input is a field error; without a token, 401
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json",
                       **auth).json() == {"marked": 1, "unread": 0}
    bad = client.post("/api/v1/notifications/read", {"ids": ["x"]}, content_type="application/json", **auth)
    assert bad.status_code == 400 and "ids" in json.dumps(bad.json()["errors"])
    assert client.get("/api/v1/notifications").status_code == 401
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 1


# ---- one's own preferences --------------------------------------------------------------------

def test_a_staff_member_chooses_sms_and_no_email_on_the_inbox_page(world, channels, client, mailoutbox, caplog):
    channels.SANSHI_NOTIFY_CHANNELS = {"clock_breach": ["email", "sms"], "*": ["email"]}
    channels.SANSHI_SMS_BACKEND = "log"
    me = world.operator
    me.email = "op@example.cn"
    me.save()
    client.force_login(me)

    # a bad number is refused with a Chinese message, nothing saved
    response = client.post("/staff/notifications/", {"preferences": "1", "email": "1", "sms": "1", "phone": "12345"})
    assert response.status_code == 400 and "电话号码格式不正确" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=me).exists()

    # SMS on with a mobile number, e-mail off
    client.post("/staff/notifications/", {"preferences": "1", "sms": "1", "phone": PHONE})
    page = client.get("/staff/notifications/").content.decode()
    assert "138****5678" in page and PHONE not in page
    assert NotificationPreference.objects.get(user=me).phone == PHONE

    notify(recipients=[me, world.street_officer], subject="快响超时：X·到场", body="请处理", kind="clock_breach")
    with caplog.at_level(logging.INFO, logger="sanshi.sms"):
        run_due_jobs()
    [sms] = Delivery.objects.filter(channel="sms")
    assert sms.status == "sent" and sms.target == "138****5678" and sms.notification.recipient == me
    assert "138****5678" in caplog.text and "快响超时：X·到场" in caplog.text and PHONE not in caplog.text
    assert mailoutbox == []  # e-mail switched off (the officer has no address)
    notify(recipients=[me], subject="一般消息", body="…", kind="note")
    assert not Delivery.objects.filter(kind="note").exists()  # "*" is e-mail only, and e-mail is off

    # the number can be erased again
    client.post("/staff/notifications/", {"preferences": "1", "sms": "1", "clear_phone": "1"})
    assert NotificationPreference.objects.get(user=me).phone == ""

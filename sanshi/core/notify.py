"""The one way to tell staff something: `notify()`.

`notify()` writes, in the caller's transaction, one in-app `Notification` per recipient and one
`Delivery` row plus one durable job per external message (e-mail to each recipient with an
address, one signed webhook per matching endpoint, SMS where configured). The worker sees the
jobs only after the transaction commits — a rolled-back transaction sends nothing — and sends
each delivery once, retrying failures with back-off (`core.jobs`). Which external channels a
kind uses: SANSHI_NOTIFY_CHANNELS. See docs/notifications.md.

Called from a job run by the worker, every row gets an id derived from the job, the call and its
target (`core.jobs.effect_ids`), unique in the database: a job run again after a crash finds its
rows and adds none, and a delivery keeps its id — the receiver's `X-Sanshi-Delivery`.
"""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .channels.email import absolute_link, send_email
from .channels.sms import get_backend as sms_backend
from .channels.webhook import send_webhook
from .errors import ValidationFailed
from .jobs import EffectIds, effect_ids, enqueue, job_handler
from .models import Delivery, Notification, NotificationPreference, WebhookEndpoint
from .personal import MOBILE_RE, mask_personal_text, mask_phone, normalise_phone

DELIVER_JOB = "notify.deliver"
EXTERNAL_CHANNELS = ("email", "webhook", "sms")


def channels_for(kind: str) -> list[str]:
    """The external channels for a kind: its own entry in SANSHI_NOTIFY_CHANNELS, else "*"."""
    table = settings.SANSHI_NOTIFY_CHANNELS
    chosen = table.get(kind) if kind in table else table.get("*", [])
    return [c for c in chosen if c in EXTERNAL_CHANNELS]


def _queue(ids: EffectIds, uid: uuid.UUID, **fields) -> Delivery:
    """Write one delivery (`uid` from `ids`) and its job; in a job run again, find the delivery it
    wrote and queue nothing."""
    if ids.derived:
        delivery, created = Delivery.objects.get_or_create(uid=uid, defaults=fields)
    else:
        delivery, created = Delivery.objects.create(uid=uid, **fields), True
    if created:
        enqueue(DELIVER_JOB, {"delivery": delivery.pk})
    return delivery


def _note(ids: EffectIds, **fields) -> Notification:
    uid = ids("in_app", fields["recipient"].pk)
    if ids.derived:
        return Notification.objects.get_or_create(uid=uid, defaults=fields)[0]
    return Notification.objects.create(uid=uid, **fields)


def notify(*, recipients: Iterable, subject: str, body: str, kind: str = "", link: str = "",
           data: dict | None = None) -> list[Notification]:
    """Notify each user in `recipients` (duplicates once). `kind` names the event
    (e.g. "clock_breach", "ledger_warning"); `link` is a path in the app to act on it; `data`
    (optional, JSON-able, no personal data) is added to the webhook body. Webhooks go out even
    when nobody is to be told in the app: the event happened."""
    # what a notification says goes to many people and channels: numbers typed into a case's text never
    subject, body = mask_personal_text(subject)[:200], mask_personal_text(body)
    kind, link = kind[:64], link[:300]
    channels = channels_for(kind)
    users, seen = [], set()
    for user in recipients:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            users.append(user)
    prefs = ({p.user_id: p for p in NotificationPreference.objects.filter(user__in=users)}
             if users and ("email" in channels or "sms" in channels) else {})
    sms_on = "sms" in channels and sms_backend().enabled
    ids = effect_ids()
    rows = []
    for user in users:
        note = _note(ids, recipient=user, subject=subject, body=body, kind=kind, link=link)
        rows.append(note)
        pref = prefs.get(user.pk)
        if not user.is_active:
            continue
        if "email" in channels and user.email and (pref is None or pref.email):
            _queue(ids, ids("email", user.pk, user.email), channel=Delivery.Channel.EMAIL, kind=kind, notification=note,
                   target=user.email, payload={"subject": subject, "body": body, "link": link})
        if sms_on and pref is not None and pref.sms and pref.phone:
            _queue(ids, ids("sms", user.pk), channel=Delivery.Channel.SMS, kind=kind, notification=note,
                   target=mask_phone(pref.phone), payload={"text": f"{subject}：{body}"})
    if "webhook" in channels:
        webhook_event(kind or "notification", {
            **(data or {}), "subject": subject, "body": body, "link": absolute_link(link),
            "recipients": sorted(n.recipient.username for n in rows)})
    return rows


def _webhook_targets(kind: str) -> list[tuple[WebhookEndpoint | None, str]]:
    targets: list[tuple[WebhookEndpoint | None, str]] = [
        (e, e.url) for e in WebhookEndpoint.objects.filter(active=True).order_by("pk") if e.wants(kind)]
    if settings.SANSHI_WEBHOOK_URL:
        targets.append((None, settings.SANSHI_WEBHOOK_URL))
    return targets


def webhook_event(kind: str, data: dict) -> list[Delivery]:
    """Queue one signed POST of `{"id", "event", "created_at", **data}` to every active endpoint
    that wants `kind` (and to SANSHI_WEBHOOK_URL). Call inside the transaction that caused it."""
    ids = effect_ids()
    created = []
    for endpoint, url in _webhook_targets(kind):
        uid = ids("webhook", endpoint.pk if endpoint is not None else "", url)
        payload = {"id": str(uid), "event": kind, "created_at": timezone.now().isoformat(), **data}
        created.append(_queue(ids, uid, channel=Delivery.Channel.WEBHOOK, kind=kind, endpoint=endpoint,
                              target=url[:500], payload=payload))
    return created


def sms_to_reporter(*, request, text: str, kind: str) -> Delivery | None:
    """Queue an SMS to the reporter of an intake request, when an SMS gateway is configured and the
    reporter left a phone number. The number stays encrypted on the request; the delivery keeps
    only its masked form and reads the number when it sends."""
    if not sms_backend().enabled or not request.reporter_phone:
        return None
    ids = effect_ids()
    return _queue(ids, ids("sms-reporter", request.pk), channel=Delivery.Channel.SMS, kind=kind, request=request,
                  target=mask_phone(request.reporter_phone), payload={"text": text})


# ---- the worker's side ------------------------------------------------------------------------

class _Skip(Exception):
    """Nothing to send any more (no phone, endpoint switched off): recorded, not retried."""


def _sms_phone(delivery: Delivery) -> str:
    """Read at the moment of sending: the reporter's (intake request) or the staff member's
    (preference) number, both encrypted at rest — never copied into the delivery or the job."""
    if delivery.request_id:
        return delivery.request.reporter_phone
    if delivery.notification_id:
        pref = NotificationPreference.objects.filter(user_id=delivery.notification.recipient_id).first()
        return pref.phone if pref is not None and pref.sms else ""
    return ""


def _send(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.EMAIL:
        p = delivery.payload
        send_email(to=delivery.target, subject=p.get("subject", ""), body=p.get("body", ""), link=p.get("link", ""),
                   message_id=str(delivery.uid))
    elif delivery.channel == Delivery.Channel.WEBHOOK:
        endpoint = delivery.endpoint
        if endpoint is not None and not endpoint.active:
            raise _Skip("接收地址已停用")
        if endpoint is None and delivery.target != settings.SANSHI_WEBHOOK_URL:
            raise _Skip("接收地址已删除")
        secret = endpoint.secret if endpoint is not None else settings.SANSHI_WEBHOOK_SECRET
        send_webhook(url=delivery.target, payload=delivery.payload, secret=secret, delivery_id=str(delivery.uid),
                     event=delivery.kind or "notification", timeout=settings.SANSHI_WEBHOOK_TIMEOUT_SECONDS)
    elif delivery.channel == Delivery.Channel.SMS:
        backend = sms_backend()
        phone = _sms_phone(delivery)
        if not backend.enabled:
            raise _Skip("短信未启用")
        if not phone:
            raise _Skip("没有电话号码（可能已按期删除）")
        backend.send(phone, delivery.payload.get("text", ""))
    else:
        raise _Skip(f"unknown channel {delivery.channel}")


def _delivery_failed(payload: dict, *, error: str, final: bool) -> None:
    Delivery.objects.filter(pk=payload["delivery"], status=Delivery.Status.PENDING).update(
        attempts=F("attempts") + 1, last_error=error,
        status=Delivery.Status.FAILED if final else Delivery.Status.PENDING)


@job_handler(DELIVER_JOB, atomic=False, on_failure=_delivery_failed)
def deliver(payload: dict) -> None:
    """Send one delivery. Runs outside a transaction (no database lock while the network is
    slow). Only a PENDING delivery is sent, and it is marked SENT right after the send: a job run
    again after a crash between the two sends it a second time (at least once — webhook receivers
    dedupe on X-Sanshi-Delivery); a delivery already SENT is never sent again."""
    delivery = Delivery.objects.select_related("endpoint", "request", "notification").get(pk=payload["delivery"])
    if delivery.status != Delivery.Status.PENDING:
        return
    try:
        _send(delivery)
    except _Skip as reason:
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, last_error=str(reason))
        return
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENT, delivered_at=timezone.now(), attempts=F("attempts") + 1, last_error="")


def delivery_retry(*, delivery: Delivery) -> bool:
    """Send a failed (or skipped) delivery again — e.g. after fixing an endpoint. Returns False for
    one already sent or still pending."""
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk, status__in=(Delivery.Status.FAILED, Delivery.Status.SKIPPED)).update(
            status=Delivery.Status.PENDING, last_error="")
        if changed:
            enqueue(DELIVER_JOB, {"delivery": delivery.pk})
    return bool(changed)


# ---- the inbox and one's own preferences -------------------------------------------------------

def notification_preference_set(*, actor, email: bool, sms: bool, phone: str | None = None,
                                clear_phone: bool = False) -> NotificationPreference:
    """The actor's own channels. `phone` None or blank keeps the stored number; `clear_phone`
    erases it. SMS needs a mainland mobile number."""
    new_phone = normalise_phone(phone, field="phone") if phone else ""
    if new_phone and not MOBILE_RE.match(new_phone):
        raise ValidationFailed(_("短信需要手机号"), errors={"phone": _("短信需要11位手机号")})
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
        pref.email, pref.sms = email, sms
        if clear_phone:
            pref.phone = ""
        elif new_phone:
            pref.phone = new_phone
        pref.save()
    return pref


def notification_preference(user) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def inbox(user):
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_mark_read(*, actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when `ids` is None); ids of other
    people's notifications are ignored. Returns how many changed."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())

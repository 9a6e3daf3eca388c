"""The SMS gateway adapter. A gateway is a class with `send(phone, text)` that raises on failure;
`SANSHI_SMS_BACKEND` names it ("disabled", "log" or a dotted path such as
"myoffice.sms.AliyunBackend"). sanshi ships no real gateway: see docs/notifications.md."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from sanshi.core.personal import mask_phone

log = logging.getLogger("sanshi.sms")


class SmsBackend:
    """Base class. `enabled` False means: do not even queue SMS deliveries."""

    enabled = True

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class DisabledBackend(SmsBackend):
    enabled = False

    def send(self, phone: str, text: str) -> None:
        raise RuntimeError("SMS is disabled (SANSHI_SMS_BACKEND=disabled)")


class LogBackend(SmsBackend):
    """For trials: writes the masked number and the text to the log; sends nothing."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_phone(phone), text)


ALIASES = {"disabled": "sanshi.core.channels.sms.DisabledBackend", "log": "sanshi.core.channels.sms.LogBackend"}


def get_backend() -> SmsBackend:
    path = settings.SANSHI_SMS_BACKEND or "disabled"
    return import_string(ALIASES.get(path, path))()

"""A logging filter that removes phone numbers, ID numbers and bearer tokens from every record."""

import logging
import re

PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
BEARER_RE = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    text = ID_RE.sub("[证件号已隐去]", text)
    text = PHONE_RE.sub("[电话已隐去]", text)
    return BEARER_RE.sub(r"\1[令牌已隐去]", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class OneLineRefusals(logging.Filter):
    """A refusal is not an error: Django logs a 403 (PermissionDenied), a 400 (SuspiciousOperation)
    or a 404 raised as an exception with its full traceback, a dozen lines per refused page that
    bury the real errors. For records of `django.request` and `django.security.*` whose answer was
    a 4xx, the traceback is dropped and the exception's type and message are put on the one line.
    5xx records keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if (record.exc_info and isinstance(status, int) and 400 <= status < 500
                and (record.name == "django.request" or record.name.startswith("django.security"))):
            exc = record.exc_info[1]
            detail = " ".join(str(exc).split()) if exc is not None else ""
            message = record.getMessage()
            if exc is not None:
                message = f"{message} ({type(exc).__name__}{': ' + detail if detail else ''})"
            record.msg, record.args = message, ()
            record.exc_info, record.exc_text = None, None
        return True

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

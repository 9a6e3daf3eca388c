"""Personal data helpers: validation and masking of phone numbers and names."""

import re

from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(raw: str | None, *, field: str = "reporter_phone") -> str:
    """Return a cleaned mainland mobile or landline number, or '' when none was given."""
    value = (raw or "").strip().replace(" ", "")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if MOBILE_RE.match(value) or LANDLINE_RE.match(value):
        return value
    raise ValidationFailed(_("电话号码格式不正确"), errors={field: _("电话号码格式不正确：请填写11位手机号或带区号的固定电话")})


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return phone[:2] + "****" + phone[-2:]


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str) -> str:
    """Resident ID: first 6 + ******** + last 4 (110105********002X)."""
    value = (value or "").strip()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]

"""Personal data helpers: validation and masking of phone numbers and names."""

import re

from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")


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


# ---- phone and ID numbers typed into free text ------------------------------------------------
# Digits may be half- or full-width and broken by spaces, dashes or dots ("138 1234 5678",
# "１３８－１２３４－５６７８"); an ID number may end in X or x (full-width too).
_D = "[0-9０-９]"
_SEP = r"[ \t\u3000\-－‐–—·.．]?"
_NOT_DIGIT_BEFORE = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９A-Za-zＡ-Ｚａ-ｚ])"
_ID_RE = re.compile(_NOT_DIGIT_BEFORE + _D + (_SEP + _D) * 16 + _SEP + "[0-9０-９XxＸｘ]" + _NOT_DIGIT_AFTER)
_MOBILE_RE = re.compile(_NOT_DIGIT_BEFORE + "(?:[+＋]?[8８][6６]" + _SEP + ")?" + "[1１]" + _SEP + "[3-9３-９]" + (_SEP + _D) * 9 + _NOT_DIGIT_AFTER)
_LANDLINE_RE = re.compile(_NOT_DIGIT_BEFORE + "[0０]" + (_D * 2) + _D + "?" + "[-－]" + _D * 7 + _D + "?"
                          + _NOT_DIGIT_AFTER)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


def _chars(match: re.Match) -> str:
    """The digits (and a final X) of a match, half-width, without separators."""
    return "".join(ch for ch in match.group(0).translate(_FULL_WIDTH) if ch.isdigit() or ch in "Xx")


def mask_personal_text(text: str) -> str:
    """`text` with every phone or ID number typed into it masked as the contact fields are
    (138****5678, 110105********002X, 023-****5678): for everyone but the case's handler, on every
    page, API answer, export and notification."""
    if not text:
        return text or ""
    text = _ID_RE.sub(lambda m: mask_id_number(_chars(m)), text)
    text = _MOBILE_RE.sub(lambda m: mask_phone(_chars(m)[-11:]), text)
    return _LANDLINE_RE.sub(lambda m: (lambda d: d[:-8] + "-****" + d[-4:])(_chars(m)), text)

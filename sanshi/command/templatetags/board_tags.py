"""Small filters for the board: the countdown's first text (the browser then ticks it every second)."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _clock_text(seconds: int) -> str:
    seconds = abs(int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


@register.simple_tag
def countdown(due, now) -> str:
    """"剩余 04:12" before the due time, "超时 01:03" after it."""
    left = (due - now).total_seconds()
    return (_("剩余 %(t)s") if left >= 0 else _("超时 %(t)s")) % {"t": _clock_text(left)}


@register.simple_tag
def overdue_by(due, now) -> str:
    seconds = int((now - due).total_seconds())
    if seconds >= 86400:
        return _("超期 %(d)s 天") % {"d": seconds // 86400}
    return _("超时 %(t)s") % {"t": _clock_text(seconds)}


@register.filter
def get_label(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def get_step(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None

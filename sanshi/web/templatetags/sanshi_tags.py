from django import template

from sanshi.cases.models import Status
from sanshi.catalog.models import Kind
from sanshi.core.personal import mask_personal_text

register = template.Library()


@register.filter
def personal(value, unmasked=False):
    """Free text with the phone and ID numbers typed into it masked, unless `unmasked` (the case's
    handler reading it): `{{ r.text|personal:may_reveal }}`."""
    return value if unmasked else mask_personal_text(value or "")


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def kind_label(value):
    """公事 / 共事 / 家事 (translated) for a kind code such as a suggestion stores; the code itself when unknown."""
    return Kind(value).label if value in Kind.values else value


@register.filter
def status_label(value):
    """已受理 / 议事中 / … (translated) for a status code such as an event row stores; the code when unknown."""
    return Status(value).label if value in Status.values else value


@register.filter
def percent(value):
    """0.9012 → "90%": a suggestion's confidence as operators read it; "" when it is not a number."""
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return ""

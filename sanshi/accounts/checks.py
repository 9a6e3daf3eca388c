"""System checks for accounts: production allows no Django superuser and no demo account."""

from django.conf import settings
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import DatabaseError

from .models import User


def no_demo_accounts_in_production(app_configs, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    try:
        count = User.objects.filter(is_demo=True).count()
    except DatabaseError:
        return []
    if count:
        return [Error(f"{count} demo accounts exist; production refuses to start.",
                      hint="Remove them with `sanshi demo --remove-accounts`.", id="sanshi.E001")]
    return []


def no_superusers_in_production(app_configs, **kwargs):
    """A superuser bypasses every permission and scope check; in production administrators get
    staff status and the permissions they need (三权分立: no all-powerful account)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    try:
        names = list(User.objects.filter(is_superuser=True, is_active=True).values_list("username", flat=True)[:5])
    except DatabaseError:  # no tables yet (first migrate)
        return []
    if names:
        return [Error(f"Active superusers exist ({', '.join(names)}); production allows none.",
                      hint="Give administrators is_staff and the permissions they need, then "
                           "`sanshi shell -c \"from sanshi.accounts.models import User; "
                           "User.objects.filter(is_superuser=True).update(is_superuser=False)\"`.",
                      id="accounts.E001")]
    return []


def assert_production_ready() -> None:
    """Called when the WSGI app starts under production settings: no demo accounts, no superuser."""
    errors = no_demo_accounts_in_production(None) + list(no_superusers_in_production(None))
    if errors:
        raise ImproperlyConfigured(errors[0].msg)

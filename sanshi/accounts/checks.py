"""System checks for accounts: production allows no Django superuser."""

from django.conf import settings
from django.core.checks import Error


def no_superusers_in_production(app_configs, **kwargs):
    """A superuser bypasses every permission and scope check; in production administrators get
    staff status and the permissions they need (三权分立: no all-powerful account)."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    from django.db.utils import DatabaseError

    from .models import User

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

"""System checks: production refuses to run while demo accounts exist."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def no_demo_accounts_in_production(app_configs, **kwargs):
    if not getattr(settings, "PRODUCTION", False):
        return []
    from django.db.utils import DatabaseError

    from sanshi.accounts.models import User

    try:
        count = User.objects.filter(is_demo=True).count()
    except DatabaseError:
        return []
    if count:
        return [Error(f"{count} demo accounts exist; production refuses to start.",
                      hint="Remove them with `sanshi demo --remove-accounts`.", id="sanshi.E001")]
    return []


def assert_production_ready() -> None:
    """Called when the WSGI app starts under production settings: no demo accounts, no superuser."""
    from sanshi.accounts.checks import no_superusers_in_production

    errors = no_demo_accounts_in_production(None) + list(no_superusers_in_production(None))
    if errors:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(errors[0].msg)

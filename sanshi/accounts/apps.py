from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sanshi.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core.checks import register

        from . import jobs, readiness  # noqa: F401  (the idempotency keys' purge, the audit backlog for /readyz)
        from .checks import no_demo_accounts_in_production, no_superusers_in_production
        from .middleware import stamp_sign_in_time

        register(no_superusers_in_production)
        register(no_demo_accounts_in_production)
        # Django's own hook for "a session was just signed in": covers the login page, the admin
        # and the test client alike; it only stamps the session (no business logic).
        user_logged_in.connect(stamp_sign_in_time, dispatch_uid="sanshi-stamp-sign-in-time")

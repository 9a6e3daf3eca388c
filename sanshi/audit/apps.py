from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sanshi.audit"
    label = "audit"
    verbose_name = "安全审计"

    def ready(self) -> None:
        # Sign-in is a framework event: Django's own signals are the one place it can be observed.
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import services

        user_logged_in.connect(services.on_user_logged_in, dispatch_uid="sanshi.audit.login")
        user_logged_out.connect(services.on_user_logged_out, dispatch_uid="sanshi.audit.logout")
        user_login_failed.connect(services.on_user_login_failed, dispatch_uid="sanshi.audit.login_failed")

        from sanshi.core.jobs import sweep

        # deferred sealing: the worker moves the journal onto the chain every round (a full batch: again at
        # once), and each seal anchors the head; inline sealing has no rounds: the worker anchors the head
        # when it has moved
        sweep("audit-seal", backlog_at=services.AUDIT_SEAL_BATCH, report="sealed {n} audit row(s)")(
            lambda: services.audit_anchor_sweep() if services.sealing_inline()
            else services.audit_seal(limit=services.AUDIT_SEAL_BATCH))

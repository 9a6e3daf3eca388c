from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the trail is append-only (and on PostgreSQL a trigger refuses changes)."""

    list_display = ("seq", "at", "event", "outcome", "actor_username", "role", "node", "obj_type", "obj_id", "ip",
                    "request_id")
    list_filter = ("event", "outcome")
    search_fields = ("actor_username", "obj_id", "request_id", "ip")
    date_hierarchy = "at"
    ordering = ("-seq",)
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    # 三员: the audit trail is the audit administrator's (page /staff/audit/). In the admin only a
    # superuser sees it, and production allows no superuser (check accounts.E001): dev only.
    def has_module_permission(self, request):
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

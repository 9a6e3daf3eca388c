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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

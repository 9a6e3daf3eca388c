from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from sanshi.core.errors import ApplicationError

from .models import Department, Household, OrgNode, Person, StaffRole
from .services import staff_role_grant, staff_role_revoke


@admin.register(OrgNode)
class OrgNodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "zone", "community_type", "grid_type", "households")
    list_filter = ("level", "community_type", "grid_type")
    search_fields = ("code", "name", "address")
    readonly_fields = ("path",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active")
    list_editable = ("active",)


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    """Roles are granted and revoked only through the registry services, so the 三员 rules (only a
    security administrator, never two administrator roles on one account) and the audit trail
    hold here too. A role is never edited in place: revoke it and grant another."""

    list_display = ("user", "role", "node", "department", "active")
    list_filter = ("role", "active")
    actions = ["revoke_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            granted = staff_role_grant(actor=request.user, user=obj.user, node=obj.node, role=obj.role,
                                       department=obj.department)
        except ApplicationError as exc:
            raise PermissionDenied(exc.message) from exc
        obj.pk = granted.pk

    @admin.action(description="撤销所选岗位")
    def revoke_selected(self, request, queryset):
        for staff_role in queryset:
            try:
                staff_role_revoke(actor=request.user, staff_role=staff_role)
            except ApplicationError as exc:
                self.message_user(request, f"{staff_role}：{exc.message}", level=messages.ERROR)


admin.site.register(Household)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """The person register: contacts stay encrypted; lists show names and households only."""

    list_display = ("name", "household", "active")
    list_filter = ("active",)
    search_fields = ("name", "household__address")
    exclude = ("phone_hash", "id_number_hash")

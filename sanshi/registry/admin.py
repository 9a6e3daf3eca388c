from django.contrib import admin

from .models import Department, Household, OrgNode, StaffRole


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
    list_display = ("user", "role", "node", "department", "active")
    list_filter = ("role",)


admin.site.register(Household)

from django.contrib import admin

from .models import ClockPolicy, Dispatch, ResponseTeam, TeamMember


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(ResponseTeam)
class ResponseTeamAdmin(admin.ModelAdmin):
    """Response teams of a street: police (派出所/巡逻服务站) or the street emergency squad; the zones
    (片区, as on the community nodes) they cover — empty covers the whole street."""

    list_display = ("name", "street", "kind", "zones", "on_duty")
    list_filter = ("kind", "on_duty", "street")
    search_fields = ("name",)
    inlines = [TeamMemberInline]


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = ("street", "dispatch_minutes", "arrive_minutes", "result_minutes", "reinforce_minutes")


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    """Read only: dispatches are written by the urgent flow's services (each step is a case event)."""

    list_display = ("case", "team", "dispatched_at", "accepted_at", "arrived_at", "result_at",
                    "reinforcement_requested_at", "withdrawn_at")
    list_filter = ("team__street", "team")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

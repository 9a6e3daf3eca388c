from django.contrib import admin

from .models import CalendarDay, FollowUpVisit, LedgerEntry, LedgerProgress
from .services import _reschedule_open_entries


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The holiday calendar (also editable on /staff/calendar/). A change moves the ladder of open
    ledger entries, as the staff page does."""

    list_display = ("date", "name", "is_workday", "updated_by", "updated_at")
    list_filter = ("is_workday",)
    search_fields = ("name",)
    date_hierarchy = "date"
    fields = ("date", "is_workday", "name")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        _reschedule_open_entries()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _reschedule_open_entries()


class ProgressInline(admin.TabularInline):
    model = LedgerProgress
    extra = 0
    readonly_fields = ("at", "author", "percent", "note")
    can_delete = False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is worked on /staff/ledger/ (every change is a case event)."""

    list_display = ("case", "street", "claimed_by", "deadline_at", "stage", "closed_at")
    list_filter = ("stage", "street")
    inlines = [ProgressInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(FollowUpVisit)
class FollowUpVisitAdmin(admin.ModelAdmin):
    list_display = ("case", "grid", "due_at", "done_at", "satisfaction", "contact_method")
    list_filter = ("satisfaction", "contact_method")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

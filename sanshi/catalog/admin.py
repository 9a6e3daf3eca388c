from django.contrib import admin, messages

from .models import CatalogueItem, CatalogueVersion
from .selectors import current_version
from .services import EDITABLE, catalogue_revise


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(admin.ModelAdmin):
    list_display = ("number", "note", "created_by", "created_at")
    readonly_fields = ("number", "note", "created_by", "created_at")


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    """Editing an item never changes it in place: saving makes a new catalogue version."""

    list_display = ("code", "kind", "name", "deadline_days", "version")
    list_filter = ("kind", "version")
    fields = ("code", "kind", "name", "description", "examples", "keywords", "deadline_days")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()

    def save_model(self, request, obj, form, change):
        changes = {obj.code: {f: getattr(obj, f) for f in EDITABLE}}
        version = catalogue_revise(actor=request.user, changes=changes, note=f"修订 {obj.code}")
        obj.pk = version.items.get(code=obj.code).pk
        messages.info(request, f"已生成清单新版本 v{version.number}")

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        version = current_version()
        if version and "version__id__exact" not in request.GET:
            q = request.GET.copy()
            q["version__id__exact"] = str(version.pk)
            request.GET = q
        return super().changelist_view(request, extra_context)

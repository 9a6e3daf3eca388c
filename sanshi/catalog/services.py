from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import ValidationFailed

from .baseline import ITEMS
from .models import CatalogueItem, CatalogueVersion, Kind
from .selectors import current_version

EDITABLE = ("name", "kind", "description", "examples", "keywords", "deadline_days")


@transaction.atomic
def catalogue_revise(*, actor, changes: dict[str, dict], note: str = "") -> CatalogueVersion:
    """Make a new catalogue version: a copy of the current one with `changes` {code: {field: value}}
    applied (a code not in the current version adds an item). Old versions stay untouched."""
    base = CatalogueVersion.objects.select_for_update().order_by("-number").first()
    items = {item.code: item for item in base.items.all()} if base else {}
    for code, fields in changes.items():
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise ValidationFailed(_("不可修改的字段"), errors={f: _("不可修改") for f in unknown})
        if "kind" in fields and fields["kind"] not in Kind.values:
            raise ValidationFailed(_("类别不正确"), errors={"kind": _("只能是 PUBLIC、SHARED 或 HOUSEHOLD")})
        if code not in items and not {"name", "kind"} <= set(fields):
            raise ValidationFailed(_("新增事项需要名称和类别"), errors={"code": format_lazy(_("{code} 不存在"), code=code)})
    version = CatalogueVersion.objects.create(number=(base.number + 1) if base else 1, note=note,
                                              created_by=actor)
    codes = sorted(set(items) | set(changes))
    new_items = []
    for code in codes:
        values = {f: getattr(items[code], f) for f in EDITABLE} if code in items else {}
        values.update(changes.get(code, {}))
        new_items.append(CatalogueItem(version=version, code=code, **values))
    CatalogueItem.objects.bulk_create(new_items)
    return version


def ensure_catalogue() -> CatalogueVersion:
    """The data migration loads v1; this is for fresh test databases that flush data."""
    version = current_version()
    if version is None:
        version = catalogue_revise(actor=None, note="基线清单", changes={
            i["code"]: {k: i[k] for k in EDITABLE} for i in ITEMS})
    return version

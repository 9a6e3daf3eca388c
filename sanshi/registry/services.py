from django.db import transaction

from sanshi.core.errors import ValidationFailed

from .models import LEVEL_ORDER, Level, OrgNode

CHILD_LEVEL = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: Level.MICRO_GRID,
}


@transaction.atomic
def node_create(*, code: str, name: str, level: str, parent: OrgNode | None = None, **fields) -> OrgNode:
    if parent is None and level != Level.DISTRICT:
        raise ValidationFailed("只有区级节点可以没有上级", errors={"parent": "请选择上级节点"})
    if parent is not None and CHILD_LEVEL.get(parent.level) != level:
        raise ValidationFailed("层级不匹配", errors={"level": f"{parent.get_level_display()}下只能建立下一级节点"})
    path = (parent.path if parent else "/") + code + "/"
    return OrgNode.objects.create(code=code, name=name, level=level, parent=parent, path=path, **fields)


def level_above(level: str) -> str | None:
    index = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None

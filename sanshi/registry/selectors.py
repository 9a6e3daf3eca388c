from django.db.models import QuerySet

from .models import Level, OrgNode


def grid_by_code(code: str) -> OrgNode | None:
    # code is unique: get() needs no ORDER BY (first() would sort by path), on every intake
    try:
        return OrgNode.objects.get(code=code, level__in=[Level.GRID, Level.MICRO_GRID])
    except OrgNode.DoesNotExist:
        return None


def grid_for_address(address: str) -> OrgNode | None:
    """Resolve a free-text address to a grid: the grid (or micro-grid) whose registered address or
    name appears in it, the most specific match first."""
    address = (address or "").strip()
    if not address:
        return None
    candidates = OrgNode.objects.filter(level__in=[Level.MICRO_GRID, Level.GRID]).exclude(address="")
    best: OrgNode | None = None
    for node in candidates.only("id", "address", "name", "level", "parent_id", "path"):
        if node.address and node.address in address:
            if best is None or len(node.address) > len(best.address):
                best = node
    if best is not None and best.level == Level.MICRO_GRID:
        best = best.parent
    return best


def subtree(node: OrgNode) -> QuerySet[OrgNode]:
    return OrgNode.objects.filter(path__startswith=node.path)

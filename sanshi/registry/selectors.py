import time

from django.conf import settings
from django.db.models import QuerySet

from .models import Level, OrgNode

# grid code → (grid id, when looked up), for intake: door plates, hotline forms and patrol phones
# send the same few thousand codes all day. Only hits are kept, so a grid added a moment ago is
# found at once; a node saved or deleted in this process empties it (apps.py), and other processes
# see a changed code within SANSHI_GRID_CACHE_SECONDS. Bounded by the number of grids.
_GRID_IDS: dict[str, tuple[int, float]] = {}


def grid_by_code(code: str) -> OrgNode | None:
    # code is unique: get() needs no ORDER BY (first() would sort by path)
    try:
        return OrgNode.objects.get(code=code, level__in=[Level.GRID, Level.MICRO_GRID])
    except OrgNode.DoesNotExist:
        return None


def grid_id_by_code(code: str) -> int | None:
    """The id of the grid or micro-grid with this code, or None; remembered for
    SANSHI_GRID_CACHE_SECONDS (0: always ask the database)."""
    ttl = settings.SANSHI_GRID_CACHE_SECONDS
    now = time.monotonic()
    hit = _GRID_IDS.get(code)
    if hit is not None and now - hit[1] < ttl:
        return hit[0]
    pk = (OrgNode.objects.filter(code=code, level__in=[Level.GRID, Level.MICRO_GRID])
          .values_list("pk", flat=True).first())
    if pk is not None and ttl > 0:
        _GRID_IDS[code] = (pk, now)
    return pk


def forget_grid_ids(**_kwargs) -> None:
    """Empty the grid-code cache (connected to OrgNode's post_save and post_delete)."""
    _GRID_IDS.clear()


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


# ---- the tree (django-treebeard): every subtree and ancestry question is asked here ----------

def subtree(node: OrgNode) -> QuerySet[OrgNode]:
    """`node` and everything below it."""
    return OrgNode.objects.get_tree(node)


def subtrees(nodes) -> QuerySet[OrgNode]:
    """The union of the subtrees of `nodes` (empty for none), for `<fk>__in=` filters: a semi-join
    on the node ids, which the database does from the filtered table's own column."""
    qs = OrgNode.objects.none()
    for node in nodes:
        qs = qs | OrgNode.objects.get_tree(node)
    return qs


def within(node: OrgNode | None, ancestor: OrgNode) -> bool:
    """Whether `node` is `ancestor` or lies below it."""
    return node is not None and (node.pk == ancestor.pk or node.is_descendant_of(ancestor))


def ancestors(node: OrgNode) -> QuerySet[OrgNode]:
    """The nodes above `node`, from the root down."""
    return OrgNode.objects.get_ancestors(node)

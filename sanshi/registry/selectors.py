import time

from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound

from .models import Level, OrgNode, Role, StaffRole

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


# ---- roles and accounts: what a security administrator manages --------------------------------
# The administrators' roles give no case scope (cases.scope leaves them out); the security
# administrator's scope is over roles: those held at nodes in the subtrees of their own
# security_admin nodes. Lists, the per-object lookups and the services take it from here.

def security_admin_roles(user) -> list[StaffRole]:
    """The user's active security-administrator roles, highest node first, a node under another one
    left out."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return []
    held = sorted(StaffRole.objects.filter(user=user, role=Role.SECURITY_ADMIN, active=True).select_related("node"),
                  key=lambda r: r.node.depth)
    top: list[StaffRole] = []
    for role in held:
        if not any(within(role.node, t.node) for t in top):
            top.append(role)
    return top


def security_admin_role_for(user, node: OrgNode) -> StaffRole | None:
    """The user's security-administrator role whose node covers `node`, or None."""
    return next((r for r in security_admin_roles(user) if within(node, r.node)), None)


def manageable_nodes(user, roles: list[StaffRole] | None = None) -> QuerySet[OrgNode]:
    """The nodes at which the user, as security administrator, grants and revokes roles."""
    roles = security_admin_roles(user) if roles is None else roles
    return subtrees([r.node for r in roles])


def manageable_roles(user, *, node: OrgNode | None = None, role: str = "", active: bool | None = None,
                     roles: list[StaffRole] | None = None) -> QuerySet[StaffRole]:
    """The roles the user manages as security administrator (none for anyone else), filtered by a
    node (with its subtree), a role code and whether active; one query with the account, node and
    department joined, ordered by node, role and account."""
    nodes = manageable_nodes(user, roles)
    qs = StaffRole.objects.filter(node_id__in=nodes.values("pk"))
    if node is not None:
        qs = qs.filter(node_id__in=subtree(node).values("pk"))
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.select_related("user", "node", "department").order_by("node__path", "role", "user__username", "pk")


def manageable_node(user, code: str) -> OrgNode:
    """The node with this code in the user's subtrees; NotFound when missing or outside them (the
    same answer: outside scope looks missing)."""
    node = manageable_nodes(user).filter(code=(code or "").strip()).first()
    if node is None:
        raise NotFound(format_lazy(_("节点“{code}”不存在或不在您的管辖范围内"), code=code))
    return node


def manageable_role(user, role_id: int) -> StaffRole:
    """One role the user manages; NotFound when missing or outside their subtrees."""
    role = manageable_roles(user).filter(pk=role_id).first()
    if role is None:
        raise NotFound(_("岗位不存在或不在您的管辖范围内"))
    return role

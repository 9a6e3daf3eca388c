"""Who imports what, decided by the scope module and the registry's own rule for accounts:

- households and residents: the community's staff — its community secretary, and the grid leaders
  and grid workers of its grids — each into the grids of their own area (`scope.nodes_q`); a grid
  code outside that area reads as unknown;
- staff accounts: a security administrator (`registry.selectors.security_admin_roles`), as on the
  roles page. An import creates accounts only: roles are granted one by one by the security
  administrator (issue 6)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.core.errors import NotPermitted
from sanshi.registry.models import Level, OrgNode, Role, StaffRole
from sanshi.registry.selectors import security_admin_roles

REGISTER_ROLES = frozenset({Role.COMMUNITY_SECRETARY, Role.GRID_LEADER, Role.GRID_WORKER})
REFUSED = {
    "households": _("只有社区书记、网格长和网格员可以导入本社区（本网格）的住户"),
    "residents": _("只有社区书记、网格长和网格员可以导入本社区（本网格）的居民"),
    "accounts": _("只有安全管理员可以批量创建账号"),
}


def importer_role(user, kind: str) -> StaffRole | None:
    """The role under which `user` imports `kind`, or None."""
    if kind == "accounts":
        held = security_admin_roles(user)
        return held[0] if held else None
    return next((r for r in scope.roles_of(user) if r.role in REGISTER_ROLES), None)


def check_import(user, kind: str) -> StaffRole:
    role = importer_role(user, kind)
    if role is None:
        raise NotPermitted(REFUSED[kind])
    return role


def importable_grids(user) -> QuerySet[OrgNode]:
    """The grids and micro-grids whose households and residents `user` may import."""
    return OrgNode.objects.filter(scope.nodes_q(user, "", only=REGISTER_ROLES),
                                  level__in=[Level.GRID, Level.MICRO_GRID])


def kinds_for(user) -> list[str]:
    """What `user` may import, for the imports page."""
    return [kind for kind in ("households", "residents", "accounts") if importer_role(user, kind) is not None]

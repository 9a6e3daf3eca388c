"""Who may act on the ledger, the follow-up visits and the calendar (scope by the org subtree,
as in sanshi/cases/permissions.py: a role at node N covers what lies in N's subtree).

- ledger: a street leader (街道干部, street_officer) whose node covers the entry's street claims it;
  only the claimer sets the deadline and reports progress. Every business role whose node covers
  the street, or lies inside it, reads the street's ledger.
- follow-up visits: a grid leader (网格长) whose node covers the visit's grid records it; the roles
  covering the grid (and the community secretary above it) see it.
- calendar: street leaders and the system administrator (系统管理员) edit it; everyone signed in reads it.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanshi.cases.permissions import active_roles
from sanshi.core.errors import NotPermitted
from sanshi.registry.models import Level, Role, StaffRole

LEDGER_ROLE = Role.STREET_OFFICER
VISIT_ROLE = Role.GRID_LEADER
CALENDAR_ROLES = {Role.STREET_OFFICER, Role.SYSTEM_ADMIN}


def _covers(role: StaffRole, path: str) -> bool:
    return path.startswith(role.node.path)


def ledger_scope(user) -> Q | None:
    """Entries whose street is inside a role's subtree, or whose street contains a role's node."""
    q, any_role = Q(), False
    for role in active_roles(user):
        any_role = True
        q |= Q(street__path__startswith=role.node.path)
        street = role.node.ancestor(Level.STREET)  # a community or grid role sees its street's ledger
        if street is not None:
            q |= Q(street=street)
    return q if any_role else None


def can_see_entry(user, entry) -> bool:
    street = entry.street.path
    return any(_covers(r, street) or r.node.path.startswith(street) for r in active_roles(user))


def check_ledger_claim(user, entry) -> StaffRole:
    for role in active_roles(user):
        if role.role == LEDGER_ROLE and _covers(role, entry.street.path):
            return role
    raise NotPermitted(_("只有本街道的街道领导（街道干部）可以认领台账事项"))


def check_ledger_handler(user, entry) -> StaffRole:
    role = check_ledger_claim(user, entry)
    if entry.claimed_by_id != user.pk:
        raise NotPermitted(_("只有认领该事项的领导可以调整时限、报告进展"))
    return role


def visit_scope(user) -> Q | None:
    q, any_role = Q(), False
    for role in active_roles(user):
        any_role = True
        q |= Q(grid__path__startswith=role.node.path)
    return q if any_role else None


def can_see_visit(user, visit) -> bool:
    return any(_covers(r, visit.grid.path) for r in active_roles(user))


def check_visit_record(user, visit) -> StaffRole:
    for role in active_roles(user):
        if role.role == VISIT_ROLE and _covers(role, visit.grid.path):
            return role
    raise NotPermitted(_("只有该网格的网格长可以登记回访"))


def can_edit_calendar(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffRole.objects.filter(user=user, active=True, role__in=CALENDAR_ROLES).exists()


def check_calendar_edit(user) -> None:
    if not can_edit_calendar(user):
        raise NotPermitted(_("只有街道干部和系统管理员可以修改节假日安排"))

"""Who may act on the ledger, the follow-up visits and the calendar. What each user sees comes from
the scope module (`cases.scope`): a ledger entry or a visit is seen by who may see its case.

- ledger: a street leader (街道干部, street_officer) whose node covers the entry's street claims it;
  only the claimer sets the deadline and reports progress.
- follow-up visits: a grid leader (网格长) of the visit's grid records it.
- calendar: street leaders and the system administrator (系统管理员) edit it; everyone signed in reads it.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.core.errors import NotPermitted
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.selectors import within

LEDGER_ROLE = Role.STREET_OFFICER
VISIT_ROLE = Role.GRID_LEADER
CALENDAR_ROLES = {Role.STREET_OFFICER, Role.SYSTEM_ADMIN}


def ledger_scope(user) -> Q:
    """Ledger entries whose case the user may see."""
    return scope.case_q(user, "case__")


def check_ledger_claim(user, entry) -> StaffRole:
    for role in scope.roles_of(user):
        if role.role == LEDGER_ROLE and within(entry.street, role.node):
            return role
    raise NotPermitted(_("只有本街道的街道领导（街道干部）可以认领台账事项"))


def check_ledger_handler(user, entry) -> StaffRole:
    role = check_ledger_claim(user, entry)
    if entry.claimed_by_id != user.pk:
        raise NotPermitted(_("只有认领该事项的领导可以调整时限、报告进展"))
    return role


def visit_scope(user) -> Q:
    """Follow-up visits whose case the user may see."""
    return scope.case_q(user, "case__")


def check_visit_record(user, visit) -> StaffRole:
    for role in scope.roles_of(user):
        if role.role == VISIT_ROLE and within(visit.grid, role.node):
            return role
    raise NotPermitted(_("只有该网格的网格长可以登记回访"))


def can_edit_calendar(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffRole.objects.filter(user=user, active=True, role__in=CALENDAR_ROLES).exists()


def check_calendar_edit(user) -> None:
    if not can_edit_calendar(user):
        raise NotPermitted(_("只有街道干部和系统管理员可以修改节假日安排"))

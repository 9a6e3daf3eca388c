"""Who may move a case (STYLE habit 6): a role held at a node whose subtree contains the case.

Scope rule: a staff role at node N covers a case when the case's grid or its current
responsible node lies in N's subtree. Issue 3 extends this into the full permission matrix.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotPermitted
from sanshi.registry.models import Role, StaffRole

HANDLERS = {Role.OPERATOR, Role.STREET_OFFICER, Role.COMMUNITY_SECRETARY, Role.GRID_LEADER, Role.GRID_WORKER,
            Role.GRID_INSTRUCTOR}
ACTION_ROLES: dict[str, set[str]] = {
    "submit": HANDLERS | {Role.MEDIATOR},
    "triage": {Role.OPERATOR, Role.STREET_OFFICER},
    "merge": {Role.OPERATOR, Role.STREET_OFFICER},
    "deliberate": HANDLERS,
    "resolve": HANDLERS,
    "whistle": {Role.OPERATOR, Role.STREET_OFFICER},
    "dispatch": {Role.OPERATOR, Role.STREET_OFFICER},  # 突发快响: a response team (team steps: rapid.permissions)
    "department_report": {Role.DEPARTMENT_LIAISON},
    "publicise": HANDLERS,
    "request_evaluation": HANDLERS,
}
EVALUATOR_ROLES: dict[str, set[str]] = {
    "HOUSEHOLD": {Role.DEMOCRATIC_SUPERVISOR},  # the parties rate from the tracking page
    "SHARED": {Role.SUPERVISION_COMMITTEE, Role.DEMOCRATIC_SUPERVISOR},
    "PUBLIC": {Role.PEOPLES_CONGRESS, Role.DEMOCRATIC_SUPERVISOR},
}


# 三员: the system, security and audit administrators run the system; they see no cases
ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}


def active_roles(user):
    """The user's roles that give a scope over cases (the administrators' roles do not)."""
    if not getattr(user, "is_authenticated", False):
        return StaffRole.objects.none()
    return (StaffRole.objects.filter(user=user, active=True).exclude(role__in=ADMIN_ROLES)
            .select_related("node", "department"))


def roles_covering(user, case, roles=None) -> list[StaffRole]:
    """The user's roles whose node contains the case; `roles`: the user's active roles, when already read."""
    paths = [p for p in (case.grid.path if case.grid else None, case.org.path if case.org else None) if p]
    return [r for r in (active_roles(user) if roles is None else roles) if any(p.startswith(r.node.path) for p in paths)]


def scope_filter(user, *, grid_field: str = "grid", org_field: str = "org") -> Q | None:
    """A Q for objects within the user's scope; None means nothing (no roles)."""
    q = Q()
    any_role = False
    for role in active_roles(user):
        any_role = True
        q |= Q(**{f"{grid_field}__path__startswith": role.node.path})
        q |= Q(**{f"{org_field}__path__startswith": role.node.path})
    return q if any_role else None


def _role_for(case, action: str, roles) -> StaffRole | None:
    """The first of `roles` (already covering the case) that may do `action`, or None."""
    allowed = EVALUATOR_ROLES.get(case.kind, set()) if action == "evaluate" else ACTION_ROLES.get(action, set())
    for role in roles:
        if role.role in allowed:
            if role.role == Role.DEPARTMENT_LIAISON and not case.whistle_calls.filter(
                department=role.department
            ).exists():
                continue
            return role
    return None


def check_case_action(user, case, action: str) -> StaffRole:
    """Return the role under which `user` may do `action` on `case`, or raise NotPermitted."""
    if action != "evaluate" and action not in ACTION_ROLES:
        raise NotPermitted(_("未知或不允许的操作"))
    role = _role_for(case, action, _candidate_roles(user, case, action))
    if role is None:
        unlocated = action == "triage" and case.grid_id is None
        raise NotPermitted(_("您没有权限分拣该诉求") if unlocated else _("您没有权限对该事项执行此操作"))
    return role


def _candidate_roles(user, case, action: str) -> list[StaffRole]:
    """The roles to check: those covering the case; for the triage of a request not yet located in
    a grid, every role of the user (the command centre places it; _role_for keeps the triage roles)."""
    if action == "triage" and case.grid_id is None:
        return list(active_roles(user))
    return roles_covering(user, case)


def actions_for(user, case, actions: list[str], roles=None) -> list[str]:
    """Those of `actions` that `user` may do on `case`: the case page offers no form that would be refused.
    `roles`: the user's active roles, when already read (a list of many cases)."""
    covering = roles_covering(user, case, roles)
    out = []
    for a in actions:
        role = _role_for(case, a, covering if a != "triage" else _candidate_roles(user, case, a))
        if role is None:
            continue
        if a == "department_report" and not case.whistle_calls.filter(
            department=role.department, reported_at__isnull=True
        ).exists():
            continue  # this department has reported already: the service would refuse a second report
        out.append(a)
    return out


def can_see_case(user, case) -> bool:
    if case.grid_id is None and case.org_id is None:  # not yet located: the command centre places it
        return active_roles(user).filter(role__in=ACTION_ROLES["triage"]).exists()
    return bool(roles_covering(user, case)) or getattr(user, "is_superuser", False)


def is_assigned_handler(user, case) -> bool:
    """The staff who handle the case where it now sits (a handling role at its responsible node)
    see reporters' contacts in full; everyone else sees them masked and must give a reason."""
    if case.org_id is None:
        return False
    return active_roles(user).filter(node_id=case.org_id, role__in=HANDLERS).exists()


def can_convene(user, org) -> bool:
    """A meeting at `org` is convened by a handling role on the same branch of the tree: at `org`,
    above it, or below it (after an escalation the level below brings the case up). Evaluators,
    mediators, representatives, department liaisons and administrators do not convene."""
    return any(org.path.startswith(r.node.path) or r.node.path.startswith(org.path)
               for r in active_roles(user) if r.role in HANDLERS)

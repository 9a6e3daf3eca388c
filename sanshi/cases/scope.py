"""Need-to-know, in one place (DOMAIN.md §3b): which cases a user may see — as a queryset filter,
applied before any slicing, pagination or count — and which actions they may take on one case.

Every list, count, export, search and board takes its rows from here: `cases(user)` for cases,
`case_q(user, "case__")` for what hangs off a case (requests, ledger entries, visits, dispatches,
clocks), `nodes_q(user, field)` for what sits at a node of the user's area (meetings, KPI nodes).
The per-object answers (`can_see`, `acting_role`, `check`, `actions`, `is_handler`) come from the
same declarations: visibility is the queryset itself, asked for one row; actions are `rules`
predicates over one of the user's roles and the case, so the role that acts is known (the audit row
and the timeline name it).

Who sees what (the roles' declarations below; the test's oracle is tests/cases/test_need_to_know.py):

- area roles (district officer, command centre, street officer, community secretary, grid staff):
  the cases placed in their node's subtree (by the case's grid or its responsible node);
- the command centre and street officers also see requests nobody could place yet (to place them);
- raters (democratic supervisor; supervision committee: SHARED; people's-congress committee:
  PUBLIC): the cases of the kinds they rate in their area, from publicising on (a household matter:
  from evaluation requested on);
- a department liaison: the cases whistled to its department;
- anyone: the cases of the meetings they sit in (deliberation), of the teams they belong to (rapid),
  and the requests they submitted (intake) — audiences registered by those apps;
- the three administrators: no cases.
"""

from collections.abc import Callable, Iterable

import rules
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound, NotPermitted
from sanshi.registry.models import Level, OrgNode, Role, StaffRole
from sanshi.registry.selectors import subtrees, within

from .models import Case, CaseEvent, Status, WhistleCall
from .routing import Body
from .transitions import Action

# ---- the declarations -------------------------------------------------------------------------

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
AREA_ROLES = frozenset({Role.DISTRICT_OFFICER, Role.OPERATOR, Role.STREET_OFFICER, Role.COMMUNITY_SECRETARY,
                        Role.GRID_LEADER, Role.GRID_WORKER, Role.GRID_INSTRUCTOR})
COMMAND_ROLES = frozenset({Role.OPERATOR, Role.STREET_OFFICER})  # the street's command centre and leaders
RATES: dict[str, frozenset[str]] = {  # who rates which kind (J0 §3 step 4)
    Role.DEMOCRATIC_SUPERVISOR: frozenset({"PUBLIC", "SHARED", "HOUSEHOLD"}),
    Role.SUPERVISION_COMMITTEE: frozenset({"SHARED"}),
    Role.PEOPLES_CONGRESS: frozenset({"PUBLIC"}),
}
# who convenes and decides each body (J0 §3 step 2; Chengzi's variant: the community leads household
# matters where the street says so); each body's convener acts only at the body's own node
CONVENER: dict[str, str] = {
    Body.GRID_NEIGHBOUR_MEETING: Role.GRID_LEADER,
    Body.COMMUNITY_REVIEW_MEETING: Role.COMMUNITY_SECRETARY,
    Body.STREET_JOINT_MEETING: Role.STREET_OFFICER,
    Body.DISTRICT_JOINT_MEETING: Role.DISTRICT_OFFICER,
}
# besides the convener, who carries a decided matter on to its notice and its rating
CARRIES_ON: dict[str, frozenset[str]] = {
    Body.GRID_NEIGHBOUR_MEETING: frozenset({Role.GRID_WORKER}),
}
# the stage from which raters see a case: the notice is posted, or (household) rating asked for
RATED_FROM = (Action.PUBLICISE, Action.REQUEST_EVALUATION)
# the supervision committee follows a shared matter from its resolution on (B2: 专责监事)
FOLLOWS_FROM: dict[str, tuple[str, ...]] = {Role.SUPERVISION_COMMITTEE: (Action.RESOLVE,)}

Audience = Callable[[object], "QuerySet | None"]  # user → a values("case_id")-style subquery, or None
_AUDIENCES: list[Audience] = []
_HANDLED_THROUGH: list[Audience] = []
DoneCheck = Callable[[object, list[int]], set[int]]
_DONE_CHECKS: dict[str, list[DoneCheck]] = {}


def register_audience(audience: Audience) -> Audience:
    """An app adds who sees a case through it: `audience(user)` returns the ids of those cases as a
    subquery (e.g. the cases on the agenda of meetings the user sits in), or None."""
    if audience not in _AUDIENCES:
        _AUDIENCES.append(audience)
    return audience


def register_handled(handled: Audience) -> Audience:
    """An app adds who handles a case through it: `handled(user)` returns the ids of the cases the
    user handles that way as a subquery (e.g. those their team was dispatched to), or None. One
    declaration answers one case (`is_handler`) and a whole list (`handled_ids`)."""
    if handled not in _HANDLED_THROUGH:
        _HANDLED_THROUGH.append(handled)
    return handled


def register_done_check(action: str, check: DoneCheck) -> DoneCheck:
    """An app says on which of some cases `user` has already done `action` and is not offered it
    again (e.g. a rater who has rated the open round): `check(user, case_ids)` returns those ids,
    one query for a whole list."""
    checks = _DONE_CHECKS.setdefault(str(action), [])
    if check not in checks:
        checks.append(check)
    return check


def done(user, cases: Iterable[Case]) -> dict[str, set[int]]:
    """For each action an app registered a check for: the ids of `cases` where `user` has done it."""
    ids = [c.pk for c in cases]
    return {action: set().union(*(check(user, ids) for check in checks)) if ids else set()
            for action, checks in _DONE_CHECKS.items()}


# ---- the user's roles -------------------------------------------------------------------------

def roles_of(user) -> list[StaffRole]:
    """The user's active roles that give a scope over cases (the administrators' do not)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(StaffRole.objects.filter(user=user, active=True, user__is_active=True)
                .exclude(role__in=ADMIN_ROLES).select_related("node", "department"))


def holds(user, *role_codes: str) -> bool:
    """Whether the user holds one of these roles (anywhere) now."""
    return any(r.role in role_codes for r in roles_of(user))


def _everything(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) and bool(getattr(user, "is_active", False))


# ---- lists --------------------------------------------------------------------------------------

def _placed_under(prefix: str, nodes: QuerySet[OrgNode]) -> Q:
    return Q(**{f"{prefix}grid_id__in": nodes.values("pk")}) | Q(**{f"{prefix}org_id__in": nodes.values("pk")})


def placed_q(nodes: Iterable[OrgNode], prefix: str = "", *, unplaced: bool = False) -> Q:
    """Cases placed in the subtrees of `nodes` (by grid or responsible node) — and, with `unplaced`,
    those nobody has placed yet: the area of a street's command centre (the board uses it)."""
    q = _placed_under(prefix, subtrees(nodes))
    if unplaced:
        q |= Q(**{f"{prefix}grid__isnull": True, f"{prefix}org__isnull": True})
    return q


def case_q(user, prefix: str = "", roles: list[StaffRole] | None = None) -> Q:
    """The cases `user` may see, as a condition on a case (or, with `prefix` "case__", on an object
    of a case). Every part is on the case's own columns or an id subquery: no join multiplies rows,
    so a list needs no DISTINCT and counts are exact."""
    if _everything(user):
        return Q()
    roles = roles_of(user) if roles is None else roles
    q = Q(**{f"{prefix}pk__in": []})
    area = [r.node for r in roles if r.role in AREA_ROLES]
    if area:
        q |= _placed_under(prefix, subtrees(area))
    if any(r.role in COMMAND_ROLES for r in roles):
        q |= Q(**{f"{prefix}grid__isnull": True, f"{prefix}org__isnull": True})
    for role in roles:
        kinds = RATES.get(role.role)
        if kinds:
            stage = CaseEvent.objects.filter(action__in=RATED_FROM + FOLLOWS_FROM.get(role.role, ())).values("case_id")
            q |= (_placed_under(prefix, subtrees([role.node])) & Q(**{f"{prefix}kind__in": sorted(kinds)})
                  & Q(**{f"{prefix}pk__in": stage}))
    departments = [r.department_id for r in roles if r.role == Role.DEPARTMENT_LIAISON and r.department_id]
    if departments:
        q |= Q(**{f"{prefix}pk__in": WhistleCall.objects.filter(department_id__in=departments).values("case_id")})
    if getattr(user, "is_authenticated", False):
        for audience in _AUDIENCES:
            ids = audience(user)
            if ids is not None:
                q |= Q(**{f"{prefix}pk__in": ids})
    return q


def cases(user, roles: list[StaffRole] | None = None) -> QuerySet[Case]:
    """The cases `user` may see."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(case_q(user, roles=roles))


def area_nodes(user, only: Iterable[str] | None = None, roles: list[StaffRole] | None = None) -> list[OrgNode]:
    """The nodes at which the user holds an area role (of `only` when given), highest first, a node
    under another one left out."""
    allowed = AREA_ROLES if only is None else frozenset(only) & AREA_ROLES
    nodes = sorted({r.node.pk: r.node for r in (roles_of(user) if roles is None else roles)
                    if r.role in allowed}.values(), key=lambda n: n.depth)
    top: list[OrgNode] = []
    for node in nodes:
        if not any(within(node, t) for t in top):
            top.append(node)
    return top


def nodes_q(user, field: str, only: Iterable[str] | None = None, roles: list[StaffRole] | None = None) -> Q:
    """A node (`field`: the name of a foreign key to OrgNode, or "" for the node itself) in the
    user's area: the subtrees of the nodes where they hold an area role (of `only`)."""
    if _everything(user):
        return Q()
    nodes = area_nodes(user, only, roles)
    if not nodes:
        return Q(pk__in=[])
    return Q(**{f"{field}_id__in" if field else "pk__in": subtrees(nodes).values("pk")})


def can_see(user, case: Case) -> bool:
    """One case, by the list's own filter: what a list hides, a page refuses."""
    if not getattr(user, "is_authenticated", False):
        return False
    return cases(user).filter(pk=case.pk).exists()


# ---- actions: `rules` predicates over one of the user's roles and the case ---------------------

def _covers(role: StaffRole, case: Case) -> bool:
    return any(within(node, role.node) for node in (case.grid, case.org) if node is not None)


def leads(role: StaffRole, org: OrgNode | None, body: str) -> bool:
    """Whether `role` convenes and decides `body` at `org`: the body's convener at the body's own
    node; a grid neighbour meeting, in a street that runs Chengzi's variant, the community secretary
    of the grid's community instead of the grid leader."""
    if org is None or body not in CONVENER:
        return False
    if body == Body.GRID_NEIGHBOUR_MEETING:
        street = org.ancestor(Level.STREET)
        if street is not None and street.community_leads_household:
            return role.role == Role.COMMUNITY_SECRETARY and org.parent_id == role.node_id
    return role.role == CONVENER[body] and role.node_id == org.pk


@rules.predicate
def covers_case(role: StaffRole, case: Case) -> bool:
    return _covers(role, case)


@rules.predicate
def unplaced(role: StaffRole, case: Case) -> bool:
    return case.grid_id is None and case.org_id is None


def role_in(*codes: str) -> rules.Predicate:
    return rules.Predicate(lambda role, case: role.role in codes, name=f"role_in({', '.join(codes)})")


def level_is(level: str) -> rules.Predicate:
    return rules.Predicate(lambda role, case: case.level == level, name=f"level_is({level})")


@rules.predicate
def leads_body(role: StaffRole, case: Case) -> bool:
    return leads(role, case.org, case.body)


@rules.predicate
def carries_on(role: StaffRole, case: Case) -> bool:
    return role.role in CARRIES_ON.get(case.body, ()) and role.node_id == case.org_id


@rules.predicate
def urgent(role: StaffRole, case: Case) -> bool:
    return case.urgent


@rules.predicate
def in_the_pool(role: StaffRole, case: Case) -> bool:
    return case.status == Status.RECEIVED


@rules.predicate
def works_its_grid(role: StaffRole, case: Case) -> bool:
    return role.role in (Role.GRID_WORKER, Role.GRID_LEADER) and case.grid_id is not None and role.node_id == case.grid_id


@rules.predicate
def rates_its_kind(role: StaffRole, case: Case) -> bool:
    return case.kind in RATES.get(role.role, ()) and _covers(role, case)


@rules.predicate
def department_whistled(role: StaffRole, case: Case) -> bool:
    # .all(): a list of many cases prefetches the calls (cases.selectors.todo)
    return (role.role == Role.DEPARTMENT_LIAISON and role.department_id is not None
            and any(call.department_id == role.department_id for call in case.whistle_calls.all()))


command_centre = role_in(*COMMAND_ROLES)
RULES = rules.RuleSet()
RULES.add_rule(Action.TRIAGE, command_centre & (covers_case | unplaced))
RULES.add_rule(Action.RETRIAGE, command_centre & covers_case)  # who triages re-routes: a triaged case is placed
RULES.add_rule(Action.MERGE, command_centre & (covers_case | unplaced))
RULES.add_rule(Action.DISPATCH, command_centre & covers_case)
RULES.add_rule("withdraw_dispatch", command_centre & covers_case)
RULES.add_rule(Action.WHISTLE, (command_centre & covers_case & level_is(Level.STREET))
               | (role_in(Role.DISTRICT_OFFICER) & covers_case & level_is(Level.DISTRICT)))
RULES.add_rule(Action.DELIBERATE, leads_body)
RULES.add_rule(Action.SETTLE, leads_body & level_is(Level.GRID))  # 家事网格自办: the grid only
# the community review meeting's convener asks its grids' neighbour meetings for opinions (J3)
RULES.add_rule(Action.CONSULT, leads_body & level_is(Level.COMMUNITY))
RULES.add_rule(Action.RECORD_PROGRESS, role_in(Role.SUPERVISION_COMMITTEE) & rates_its_kind)
RULES.add_rule(Action.RESOLVE, leads_body)
# who carries a decided matter to its notice and its rating: its body's convener, who carries it on,
# and (突发快响) the command centre that ran an urgent event
carries_to_notice = leads_body | carries_on | (command_centre & covers_case & urgent)
RULES.add_rule(Action.PUBLICISE, carries_to_notice)
RULES.add_rule(Action.REQUEST_EVALUATION, carries_to_notice)
# 张榜公示: who may publicise the case also moderates what residents write on its notice (publish, hide,
# uphold an objection) and may see the phone an objector left (sanshi.notices)
RULES.add_rule("moderate", carries_to_notice)
RULES.add_rule(Action.DEPARTMENT_REPORT, department_whistled)
RULES.add_rule(Action.EVALUATE, rates_its_kind)
# the handler of the case: the command centre while it waits in the pool, then its body's convener,
# who carries it on, its grid's staff (and the team dispatched to it: rapid registers that)
RULES.add_rule("reveal", (command_centre & (covers_case | unplaced) & in_the_pool) | leads_body | carries_on
               | works_its_grid)
DECIDING = frozenset({Action.DELIBERATE, Action.RESOLVE, Action.SETTLE})


def _rated_by(user, case: Case, roles: list[StaffRole]) -> bool:
    return any(RULES.test_rule(Action.EVALUATE, r, case) for r in roles)


DECISIONS = (Action.RESOLVE, Action.SETTLE, Action.ESCALATE)


def _decided_by(user, case: Case) -> bool:
    """Whether `user` decided the case in its current round (since its last escalation). A list of
    many cases prefetches their decisions into `case.decisions` (cases.selectors.todo)."""
    decisions = getattr(case, "decisions", None)
    if decisions is None:
        decisions = list(case.events.filter(action__in=DECISIONS).order_by("at", "id"))
    since_escalation: list[CaseEvent] = []
    for event in decisions:
        since_escalation = [] if event.action == Action.ESCALATE else [*since_escalation, event]
    return any(event.actor_id == user.pk for event in since_escalation)


def acting_role(user, action: str, case: Case, roles: list[StaffRole] | None = None) -> StaffRole | None:
    """The role under which `user` may take `action` on `case` now, or None. Nobody decides a matter
    they will rate, nor rates one they decided."""
    if not RULES.rule_exists(str(action)):
        return None
    roles = roles_of(user) if roles is None else roles
    role = next((r for r in roles if RULES.test_rule(str(action), r, case)), None)
    if role is None:
        return None
    if action in DECIDING and _rated_by(user, case, roles):
        return None
    if action == Action.EVALUATE and _decided_by(user, case):
        return None
    return role


def check(user, action: str, case: Case) -> StaffRole:
    """The role under which `user` takes `action` on `case`; NotFound when the case is out of their
    sight (out of scope looks the same as missing), NotPermitted when they may see but not act."""
    if not can_see(user, case):
        raise NotFound(_("事项不存在"))
    role = acting_role(user, action, case)
    if role is None:
        raise NotPermitted(_("您没有权限对该事项执行此操作"))
    return role


def actions(user, case: Case, candidates: Iterable[str], roles: list[StaffRole] | None = None,
            done_already: dict[str, set[int]] | None = None) -> list[str]:
    """Those of `candidates` that `user` may take on `case` now (the case page and the API offer
    nothing that would be refused); a department's report only while its call waits; nothing the
    user has already done (`done_already`: `done()` read once for a list of cases)."""
    roles = roles_of(user) if roles is None else roles
    candidates = list(candidates)
    out = []
    for action in candidates:
        role = acting_role(user, action, case, roles)
        if role is None:
            continue
        if action == Action.DEPARTMENT_REPORT and not any(
                call.department_id == role.department_id and call.reported_at is None
                for call in case.whistle_calls.all()):
            continue
        if str(action) in _DONE_CHECKS:
            if done_already is None:
                done_already = done(user, [case])
            if case.pk in done_already.get(str(action), ()):
                continue
        out.append(str(action))
    return out


def is_handler(user, case: Case, roles: list[StaffRole] | None = None) -> bool:
    """The handler of the case — its body's convener, who carries it on, its grid's worker, the team
    dispatched to it — may see the reporter's contacts in full (with a reason, audited)."""
    return case.pk in handled_ids(user, [case], roles)


# what a list of cases needs loaded so that `handled_ids` reads no row per case (a grid neighbour
# meeting's convener depends on the grid's street: org → community → street)
HANDLER_RELATED = ("org__parent__parent", "grid")


def handled_ids(user, cases: Iterable[Case], roles: list[StaffRole] | None = None) -> set[int]:
    """Of `cases`, the ids of those `user` handles (as `is_handler`): the rules evaluated in memory
    (select_related HANDLER_RELATED), then one query for the rest through the apps' declarations.
    A list or an export shows personal data in full only on these rows."""
    roles = roles_of(user) if roles is None else roles
    cases = list(cases)
    mine = {c.pk for c in cases if any(RULES.test_rule("reveal", r, c) for r in roles)}
    rest = [c.pk for c in cases if c.pk not in mine]
    if rest and _HANDLED_THROUGH and getattr(user, "is_authenticated", False):
        through = Q(pk__in=[])
        for handled in _HANDLED_THROUGH:
            ids = handled(user)
            if ids is not None:
                through |= Q(pk__in=ids)
        mine |= set(Case.objects.filter(through, pk__in=rest).values_list("pk", flat=True))
    return mine


def may_convene(user, org: OrgNode, body: str) -> StaffRole | None:
    """The role under which `user` convenes `body` at `org` (a meeting), or None."""
    return next((r for r in roles_of(user) if leads(r, org, body)), None)


def handler_roles(case: Case) -> QuerySet[StaffRole]:
    """The active roles that handle the case where it now sits: its body's convener and who carries
    it on, at its responsible node (they are told of its overdue deadline)."""
    if case.org_id is None or not case.body:
        return StaffRole.objects.none()
    codes = {CONVENER[case.body], *CARRIES_ON.get(case.body, ())}
    return StaffRole.objects.filter(node_id=case.org_id, role__in=codes, active=True, user__is_active=True)

"""Who may act in the urgent flow (突发快响). What each user sees comes from the scope module.

- Dispatching a team (and a reinforcement) is a case action: an operator or street officer whose
  scope covers the case (`scope.check(…, "dispatch")`).
- A team's steps (accept, arrive, result, reinforcement) belong to the members of the dispatched
  team only. As with cases, what the user cannot see looks missing (404); a user who can see the
  case but is not in the team is refused (403).
- Withdrawing a dispatch (撤回派单) is the dispatcher's: an operator or street officer whose scope
  covers the case (403); who cannot see the case gets 404.
- Putting a team on or off duty: an operator or street officer of the team's street (or above).
"""

from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.transitions import Action
from sanshi.core.errors import NotFound, NotPermitted
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.selectors import within

from .models import Dispatch, ResponseTeam, TeamMember

DUTY_ROLES = {Role.OPERATOR, Role.STREET_OFFICER}


def check_dispatcher(user, case) -> StaffRole:
    return scope.check(user, Action.DISPATCH, case)


def check_withdrawer(user, dispatch: Dispatch) -> StaffRole:
    """The role under which `user` may withdraw `dispatch` (who may dispatch on its case)."""
    if not scope.can_see(user, dispatch.case):
        raise NotFound(_("派单不存在"))
    role = scope.acting_role(user, "withdraw_dispatch", dispatch.case)
    if role is None:
        raise NotPermitted(_("您没有权限对该事项执行此操作"))
    return role


def is_member(user, team: ResponseTeam) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and TeamMember.objects.filter(team=team, user=user).exists()


def check_team_step(user, dispatch: Dispatch) -> None:
    """Raise unless `user` is a member of the dispatched team."""
    if is_member(user, dispatch.team):
        return
    if scope.can_see(user, dispatch.case):
        raise NotPermitted(_("只有被派单队伍的队员可以操作"))
    raise NotFound(_("派单不存在"))


def duty_role(user, team: ResponseTeam) -> StaffRole:
    for role in scope.roles_of(user):
        if role.role in DUTY_ROLES and within(team.street, role.node):
            return role
    raise NotPermitted(_("只有该街道指挥中心接线员或街道干部可以调整队伍在岗状态"))

"""What a revoked role leaves open in deliberation (registered with registry.handover from apps.py):
the meetings its holder convenes under it that are not yet held — reassignable to another convener
of the same body at the same node (`scope.may_convene`)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.registry.handover import Candidate, OpenItem, Provider, register
from sanshi.registry.models import Role, StaffRole
from sanshi.registry.selectors import subtree

from .models import Meeting
from .services import meeting_reassign_convener

CONVENING_ROLES = frozenset({*scope.CONVENER.values(), Role.COMMUNITY_SECRETARY})


def _successors(meeting: Meeting, but: int) -> tuple[Candidate, ...]:
    """Who else convenes this meeting's body at its node (the node's own convener; in Chengzi's
    variant the grid's community secretary)."""
    org = meeting.org
    near = Q(node=org) | (Q(node_id=org.parent_id) if org.parent_id else Q(pk__in=[]))
    roles = (StaffRole.objects.filter(near, role__in=CONVENING_ROLES, active=True, user__is_active=True)
             .exclude(user_id=but).select_related("user").order_by("user__username"))
    seen: dict[str, Candidate] = {}
    for role in roles:
        if scope.leads(role, org, meeting.body):
            seen.setdefault(role.user.username, Candidate(role.user.username, str(role.user)))
    return tuple(seen.values())


def meeting_items(staff_role: StaffRole) -> list[OpenItem]:
    if staff_role.role not in CONVENING_ROLES:
        return []
    meetings = (Meeting.objects.filter(convener_id=staff_role.user_id, held_at__isnull=True,
                                       org_id__in=subtree(staff_role.node).values("pk"))
                .select_related("org__parent__parent").order_by("scheduled_at", "pk"))
    items = []
    for meeting in meetings:
        if not scope.leads(staff_role, meeting.org, meeting.body):
            continue  # convened under another of the holder's roles
        candidates = _successors(meeting, staff_role.user_id)
        when = timezone.localtime(meeting.scheduled_at)
        items.append(OpenItem(
            kind="meeting", kind_label=str(_("未召开的议事会")), id=meeting.pk, url=f"/staff/meetings/{meeting.pk}/",
            label=str(format_lazy(_("{title} · {org} · {when}"), title=meeting.title, org=meeting.org.name,
                                  when=f"{when:%Y-%m-%d %H:%M}")),
            note="" if candidates else str(format_lazy(
                _("{org}没有其他能召集该议事会的人员：请先分配岗位，再移交。"), org=meeting.org.name)),
            candidates=candidates))
    return items


def reassign_meeting(*, actor, item_id: int, to_user) -> None:
    meeting_reassign_convener(actor=actor, meeting=Meeting.objects.select_related("org").get(pk=item_id),
                              to_user=to_user)


def register_providers() -> None:
    register(Provider(kind="meeting", open_items=meeting_items, reassign=reassign_meeting))

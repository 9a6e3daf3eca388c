"""Reads of meetings. What a user sees comes from the scope module: the meetings held at a node of
their area, and those they sit in."""

from django.db.models import Count, Q, QuerySet

from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.routing import Body
from sanshi.registry.models import Role, StaffRole

from .models import AgendaItem, Consultation, Meeting, Participant


def meetings_for(user) -> QuerySet[Meeting]:
    """The meetings `user` may see (filtered in the database, before any slice)."""
    if not getattr(user, "is_authenticated", False):
        return Meeting.objects.none()
    sits_in = Participant.objects.filter(user=user).values("meeting_id")
    return Meeting.objects.filter(scope.nodes_q(user, "org") | Q(pk__in=sits_in))


def meeting_list(user) -> QuerySet[Meeting]:
    """The meetings list: newest first, with place, convener and the number of cases on each agenda
    (a fixed number of queries however many rows)."""
    return (meetings_for(user).select_related("org", "convener").annotate(n=Count("items"))
            .order_by("-scheduled_at", "-id"))


def open_meetings(user, *, body: str, org=None) -> QuerySet[Meeting]:
    """Meetings of `body` not yet held that `user` may see (at `org` when given)."""
    qs = meetings_for(user).filter(body=body, held_at__isnull=True).select_related("org")
    return qs.filter(org=org) if org is not None else qs


def open_cases_for_body(user, meeting: Meeting) -> QuerySet[Case]:
    """The cases `user` may see that wait for this meeting's body at its node, not yet on its agenda
    — for a grid neighbour meeting also the shared matters its grid was asked about and has not
    answered yet."""
    waiting = Q(org=meeting.org, body=meeting.body)
    if meeting.body == Body.GRID_NEIGHBOUR_MEETING:
        waiting |= Q(pk__in=Consultation.objects.filter(grid=meeting.org_id, item__isnull=True).values("case_id"))
    return (scope.cases(user).filter(waiting, status__in=[Status.TRIAGED, Status.DELIBERATING])
            .exclude(pk__in=meeting.items.values("case_id")).order_by("created_at"))


def cases_consulted_with(user):
    """The shared matters the community asked the user's grids about (a scope audience: grid staff)."""
    grids = StaffRole.objects.filter(user=user, active=True, role__in=[Role.GRID_LEADER, Role.GRID_WORKER,
                                                                       Role.GRID_INSTRUCTOR]).values("node_id")
    return Consultation.objects.filter(grid__in=grids).values("case_id")


def cases_in_meetings_of(user):
    """The cases on the agendas of the meetings `user` sits in (a scope audience)."""
    return AgendaItem.objects.filter(meeting__participants__user=user).values("case_id")

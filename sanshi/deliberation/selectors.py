"""Reads of meetings. What a user sees comes from the scope module: the meetings held at a node of
their area, and those they sit in."""

from django.db.models import Count, Q, QuerySet

from sanshi.cases import scope
from sanshi.cases.models import Case, Status

from .models import AgendaItem, Meeting, Participant


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
    """The cases `user` may see that wait for this meeting's body at its node, not yet on its agenda."""
    return (scope.cases(user).filter(org=meeting.org, body=meeting.body,
                                     status__in=[Status.TRIAGED, Status.DELIBERATING])
            .exclude(pk__in=meeting.items.values("case_id")).order_by("created_at"))


def cases_in_meetings_of(user):
    """The cases on the agendas of the meetings `user` sits in (a scope audience)."""
    return AgendaItem.objects.filter(meeting__participants__user=user).values("case_id")

"""Reads of the urgent flow, shared by the responder's page, the API and the command-centre board."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from sanshi.cases import scope

from .models import Clock, Dispatch, ResponseTeam

# a dispatch the team still has to work on: no result yet, the case still handled, not withdrawn
OPEN_DISPATCH = Q(result_at__isnull=True, case__status="handling", withdrawn_at__isnull=True)


def dispatches_for_member(user, *, open_only: bool = True):
    """The dispatches of the teams `user` belongs to, newest first, with case, team and clocks."""
    if not getattr(user, "is_authenticated", False):
        return Dispatch.objects.none()
    qs = (Dispatch.objects.filter(team__memberships__user=user)
          .select_related("case__grid__parent", "team", "reinforcement_for__team")
          .prefetch_related(Prefetch("case__clocks", queryset=Clock.objects.order_by("due_at")),
                            "case__requests"))
    if open_only:
        qs = qs.filter(OPEN_DISPATCH)
    return qs.order_by("-dispatched_at", "-id")


def teams_for_user(user):
    """Teams of the streets under the user's operator / street-officer roles, with their open load."""
    if not scope.area_nodes(user, only=scope.COMMAND_ROLES):
        return ResponseTeam.objects.none()
    return (ResponseTeam.objects.filter(scope.nodes_q(user, "street", only=scope.COMMAND_ROLES)).select_related("street")
            .annotate(open_dispatches=Count("dispatches", filter=Q(dispatches__result_at__isnull=True,
                                                                   dispatches__case__status="handling",
                                                                   dispatches__withdrawn_at__isnull=True),
                                            distinct=True),
                      member_count=Count("memberships", distinct=True))
            .order_by("street__path", "kind", "name"))


def case_dispatches(case):
    return case.dispatches.select_related("team", "reinforcement_for__team").order_by("dispatched_at", "id")


def pending_reinforcement(case) -> Dispatch | None:
    """The (first) reinforcement request of the case not yet answered by a reinforcement still sent:
    a withdrawn reinforcement re-opens its request."""
    answered = Dispatch.objects.filter(reinforcement_for=OuterRef("pk"), withdrawn_at__isnull=True)
    return (case.dispatches.filter(reinforcement_requested_at__isnull=False, withdrawn_at__isnull=True)
            .exclude(Exists(answered)).select_related("team").order_by("reinforcement_requested_at", "id").first())


def redispatch_wanted(dispatches) -> bool:
    """Whether a case's first dispatch has to be made again (改派): it had first dispatches (not
    reinforcements) and every one of them was withdrawn. `dispatches`: the case's dispatches, loaded."""
    first = [d for d in dispatches if d.reinforcement_for_id is None]
    return bool(first) and all(d.withdrawn_at is not None for d in first)

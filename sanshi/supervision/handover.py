"""What a revoked role leaves open in supervision (registered with registry.handover from
apps.py): the ledger entries its holder claimed as street leader — reassignable to another street
leader of the street — and, for a grid leader, the open follow-up visits of the grid, which any grid
leader of the grid records (listed, with who else can; nothing to reassign)."""

from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.registry.handover import Candidate, OpenItem, Provider, register
from sanshi.registry.models import OrgNode, StaffRole
from sanshi.registry.selectors import ancestors, subtree

from .models import FollowUpVisit, LedgerEntry
from .permissions import LEDGER_ROLE, VISIT_ROLE
from .services import ledger_reassign


def _holders(role: str, node: OrgNode, *, but: int, above: bool = False) -> list[StaffRole]:
    """The active holders of `role` at `node` (and, with `above`, at the nodes above it), but one user."""
    where = (Q(node=node) | Q(node_id__in=ancestors(node).values("pk"))) if above else Q(node=node)
    return list(StaffRole.objects.filter(where, role=role, active=True, user__is_active=True)
                .exclude(user_id=but).select_related("user").order_by("user__username"))


def ledger_items(staff_role: StaffRole) -> list[OpenItem]:
    if staff_role.role != LEDGER_ROLE:
        return []
    entries = (LedgerEntry.objects.filter(claimed_by_id=staff_role.user_id, closed_at__isnull=True,
                                          street_id__in=subtree(staff_role.node).values("pk"))
               .select_related("case", "street").order_by("deadline_at", "pk"))
    successors: dict[int, tuple[Candidate, ...]] = {}
    items = []
    for entry in entries:
        if entry.street_id not in successors:
            successors[entry.street_id] = tuple(
                Candidate(r.user.username, str(r.user))
                for r in _holders(LEDGER_ROLE, entry.street, but=staff_role.user_id, above=True))
        candidates = successors[entry.street_id]
        due = timezone.localtime(entry.deadline_at)
        items.append(OpenItem(
            kind="ledger_entry", kind_label=str(_("台账事项")), id=entry.pk, url=f"/staff/ledger/{entry.pk}/",
            label=str(format_lazy(_("{number} · {street} · 完成时限 {due}"), number=entry.case.number,
                                  street=entry.street.name, due=f"{due:%Y-%m-%d}")),
            note="" if candidates else str(_("本街道没有其他在岗的街道领导：请先分配一位，再移交。")),
            candidates=candidates))
    return items


def visit_items(staff_role: StaffRole) -> list[OpenItem]:
    if staff_role.role != VISIT_ROLE:
        return []
    visits = (FollowUpVisit.objects.filter(done_at__isnull=True, grid_id__in=subtree(staff_role.node).values("pk"))
              .select_related("case", "grid").order_by("due_at", "pk"))
    others: dict[int, list[StaffRole]] = {}
    items = []
    for visit in visits:
        if visit.grid_id not in others:
            others[visit.grid_id] = _holders(VISIT_ROLE, visit.grid, but=staff_role.user_id)
        names = "、".join(str(r.user) for r in others[visit.grid_id])
        note = (format_lazy(_("本网格的其他网格长（{names}）可以继续回访。"), names=names) if names
                else _("本网格将没有网格长：请为该网格分配新的网格长，由其回访。"))
        due = timezone.localtime(visit.due_at)
        items.append(OpenItem(
            kind="follow_up_visit", kind_label=str(_("回访")), id=visit.pk, url=f"/staff/visits/{visit.pk}/",
            label=str(format_lazy(_("{number} · {grid} · 回访期限 {due}"), number=visit.case.number,
                                  grid=visit.grid.name, due=f"{due:%Y-%m-%d}")),
            note=str(note)))
    return items


def reassign_ledger_entry(*, actor, item_id: int, to_user) -> None:
    ledger_reassign(actor=actor, entry=LedgerEntry.objects.select_related("case", "street").get(pk=item_id),
                    to_user=to_user)


def register_providers() -> None:
    register(Provider(kind="ledger_entry", open_items=ledger_items, reassign=reassign_ledger_entry))
    register(Provider(kind="follow_up_visit", open_items=visit_items))

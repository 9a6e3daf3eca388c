"""Handing over: what a role leaves open when it is revoked.

The registry is a low layer: it knows roles, not ledger entries or meetings. The apps that own the
open items register a provider here from their AppConfig.ready() (supervision: claimed ledger
entries and the grid's follow-up visits; deliberation: meetings not yet held), and the roles page
and `GET /api/v1/roles/{id}/handover` list what the providers return for one role. A provider that
can hand an item to another person in one step (one field: who) also registers `reassign`; the
registry checks that the item is one of the role's open items, finds the account and calls it —
the owning app's service checks who may and writes the audit row and the case timeline."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from sanshi.core.errors import NotFound, ValidationFailed

from .models import StaffRole


@dataclass(frozen=True)
class Candidate:
    """Someone who may take an item over."""

    username: str
    name: str


@dataclass(frozen=True)
class OpenItem:
    kind: str  # the provider's kind: "ledger_entry", "follow_up_visit", "meeting"
    kind_label: str
    id: int
    label: str  # no personal data: a case number, a meeting's title, a grid's name
    url: str  # the item's page (for whoever takes it over)
    note: str = ""  # what to do when it cannot be reassigned here
    candidates: tuple[Candidate, ...] = field(default=())  # who may take it over (empty: no reassignment here)


OpenItems = Callable[[StaffRole], list[OpenItem]]
Reassign = Callable[..., None]  # (*, actor, item_id: int, to_user) -> None


@dataclass(frozen=True)
class Provider:
    kind: str
    open_items: OpenItems
    reassign: Reassign | None = None


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add (or replace: AppConfig.ready() may run twice in tests) the provider of one kind."""
    _PROVIDERS[provider.kind] = provider
    return provider


def open_items(staff_role: StaffRole) -> list[OpenItem]:
    """The open items `staff_role` holds, active or already revoked, every provider's in turn."""
    items: list[OpenItem] = []
    for provider in _PROVIDERS.values():
        items.extend(provider.open_items(staff_role))
    return items


def reassign(*, actor, staff_role: StaffRole, kind: str, item_id: int, to_username: str) -> OpenItem:
    """Hand one of the role's open items to another account. NotFound when the item is not one of
    them; 400 when nobody, or nobody active, has that username; the provider's service decides the
    rest (who may, who may take it over)."""
    provider = _PROVIDERS.get(kind)
    item = next((i for i in (provider.open_items(staff_role) if provider else []) if i.id == item_id), None)
    if provider is None or provider.reassign is None or item is None:
        raise NotFound(_("该岗位没有这一待办事项"))
    to_user = get_user_model().objects.filter(username=(to_username or "").strip(), is_active=True).first()
    if to_user is None:
        raise ValidationFailed(_("请选择接手人"), errors={"to": _("请选择接手的人员")})
    provider.reassign(actor=actor, item_id=item_id, to_user=to_user)
    return item

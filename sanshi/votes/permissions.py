"""Who sees and who runs owners' votes — decided from the scope module (`sanshi.cases.scope`), the
one place need-to-know is declared:

- an electorate (owners' names, masked phones) and its votes' ballots are seen by the area roles
  whose subtree holds its grid or micro-grid (`scope.nodes_q`), and kept — imported, edited, its
  votes opened, paper and proxy ballots entered, closed — by the community secretary of that
  community (the convener of its community review meetings, who decided the resolution);
- a vote's tally is also seen by whoever sees its case (`scope.case_q`: e.g. the supervision
  committee that tracks shared resolutions, the meeting's members); anyone reads its counts through
  the public API (counts only, never names)."""

from django.db.models import Q

from sanshi.cases import scope
from sanshi.registry.models import OrgNode, Role, StaffRole
from sanshi.registry.selectors import within

KEEPERS = (Role.COMMUNITY_SECRETARY,)


def electorate_q(user, field: str = "node") -> Q:
    """An electorate (by its node `field`) in the user's area."""
    return scope.nodes_q(user, field)


def kept_q(user, field: str = "node") -> Q:
    """An electorate (by its node `field`) the user keeps: their community's, as its secretary."""
    return scope.nodes_q(user, field, only=KEEPERS)


def vote_q(user) -> Q:
    """A vote the user may see: its electorate in their area, or its case in their sight."""
    return electorate_q(user, "electorate__node") | scope.case_q(user, "agenda_item__case__")


def keeper_role(user, node: OrgNode) -> StaffRole | None:
    """The community-secretary role under which `user` keeps what lies at `node`, or None."""
    return next((r for r in scope.roles_of(user) if r.role in KEEPERS and within(node, r.node)), None)

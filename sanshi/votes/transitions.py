"""A vote's life cycle (STYLE habit 3): the one table of allowed moves, applied by
`services.vote_transition`, which writes a `VoteEvent` and an audit row for each.

    (new) ─open→ open ─close→ closed
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import VoteStatus


class VoteAction(models.TextChoices):
    OPEN = "open", _("开始表决")
    CLOSE = "close", _("结束表决并计票")


MOVES: dict[tuple[str, str], str] = {
    (VoteAction.OPEN, ""): VoteStatus.OPEN,
    (VoteAction.CLOSE, VoteStatus.OPEN): VoteStatus.CLOSED,
}


def find_move(action: str, status: str) -> str | None:
    """The status `action` moves a vote in `status` to, or None when the table does not allow it."""
    return MOVES.get((str(action), str(status)))


ACTION_LABELS = dict(VoteAction.choices)

"""The notice's and its comments' life cycles: two small tables of allowed moves, one guarded
function each in `services.py` (`_notice_move`, `_comment_move`) that writes a `NoticeEvent` row.

    notice:   posted (公示中) ─conclude→ concluded (evaluation requested after the period)
                         └────reopen──→ reopened (an objection upheld: the matter is deliberated again)
    comment:  pending (待审核) ─publish→ published ─hide→ hidden
                         ├──────hide─────────────────→ hidden
                         └──accept (an objection)──→ accepted     (published → accepted too)
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    POSTED = "posted", _("公示中")
    CONCLUDED = "concluded", _("公示结束")
    REOPENED = "reopened", _("异议成立·重新议事")


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("意见建议")
    OBJECTION = "objection", _("异议")


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("已公开")
    HIDDEN = "hidden", _("不予公开")
    ACCEPTED = "accepted", _("异议成立")


# what residents see of a comment: published ones, and upheld objections
SHOWN = (CommentStatus.PUBLISHED, CommentStatus.ACCEPTED)


class NoticeAction(models.TextChoices):
    POST = "post", _("张榜公示")
    CONCLUDE = "conclude", _("公示期满·提请评价")
    REOPEN = "reopen", _("异议成立·重新议事")
    SUBMIT = "submit", _("居民提交")
    PUBLISH = "publish", _("审核公开")
    HIDE = "hide", _("不予公开")
    ACCEPT = "accept", _("异议成立")


# the decisions staff take on a comment (the moderation form and the API)
DECISIONS = (NoticeAction.PUBLISH, NoticeAction.HIDE, NoticeAction.ACCEPT)


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    objection_only: bool = False


NOTICE_MOVES = [
    Move(NoticeAction.POST, "", NoticeStatus.POSTED),
    Move(NoticeAction.CONCLUDE, NoticeStatus.POSTED, NoticeStatus.CONCLUDED),
    Move(NoticeAction.REOPEN, NoticeStatus.POSTED, NoticeStatus.REOPENED),
]
COMMENT_MOVES = [
    Move(NoticeAction.SUBMIT, "", CommentStatus.PENDING),
    Move(NoticeAction.PUBLISH, CommentStatus.PENDING, CommentStatus.PUBLISHED),
    Move(NoticeAction.HIDE, CommentStatus.PENDING, CommentStatus.HIDDEN),
    Move(NoticeAction.HIDE, CommentStatus.PUBLISHED, CommentStatus.HIDDEN),
    Move(NoticeAction.ACCEPT, CommentStatus.PENDING, CommentStatus.ACCEPTED, objection_only=True),
    Move(NoticeAction.ACCEPT, CommentStatus.PUBLISHED, CommentStatus.ACCEPTED, objection_only=True),
]


def find_notice_move(action: str, status: str) -> Move | None:
    return next((m for m in NOTICE_MOVES if m.action == action and m.source == status), None)


def find_comment_move(action: str, status: str, kind: str) -> Move | None:
    return next((m for m in COMMENT_MOVES if m.action == action and m.source == status
                 and (kind == CommentKind.OBJECTION or not m.objection_only)), None)

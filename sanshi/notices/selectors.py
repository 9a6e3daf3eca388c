"""Reads of the notice board. The board is public: every notice, no personal data (stored masked
when posted), only the comments staff published. What staff moderate comes from the scope module:
the pending comments on cases in the user's sight (`scope.case_q`, in the database), of which they
may moderate those the rule "moderate" lets them (who may publicise the case)."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.cases import scope
from sanshi.cases.hooks import names_on
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.transitions import ACTION_LABELS, STAFF_ONLY_EVENTS, Action
from sanshi.catalog.models import Kind
from sanshi.core.errors import NotFound
from sanshi.core.personal import mask_name, mask_personal_text
from sanshi.deliberation.models import Participant
from sanshi.registry.models import Household, Level, OrgNode, Person
from sanshi.registry.selectors import subtree
from sanshi.votes.selectors import vote_summary

from .models import Comment, Notice
from .transitions import SHOWN, CommentKind, CommentStatus, NoticeStatus

# the case's own moves that are no news on its notice (the notice itself, and what only staff see)
NOT_PROGRESS = frozenset({Action.PUBLICISE, *STAFF_ONLY_EVENTS})


# ---- what is posted for everyone: no numbers, names as 张* ---------------------------------------

def known_names(case: Case) -> set[str]:
    """The people known by name on the case: its reporters (intake, through the core's registry),
    the participants of its meetings, and the residents registered in its grid (households' heads
    and the person register). Two characters at least: a single character is no name to mask."""
    names = set(names_on(case))
    names.update(Participant.objects.filter(meeting__items__case=case).values_list("name", flat=True))
    if case.grid_id is not None and case.grid is not None:
        area = subtree(case.grid).values("pk")
        names.update(Person.objects.filter(household__node__in=area).values_list("name", flat=True))
        names.update(Household.objects.filter(node__in=area).exclude(head_name="").values_list("head_name", flat=True))
    return {n.strip() for n in names if n and len(n.strip()) >= 2}


def public_text(text: str, names: Iterable[str] = ()) -> str:
    """`text` for everyone: phone and ID numbers masked (core.personal), each of `names` as 张*."""
    text = mask_personal_text(text or "")
    ordered = sorted({n for n in names if n}, key=len, reverse=True)  # 欧阳修 before 欧阳
    if not ordered or not text:
        return text
    pattern = re.compile("|".join(re.escape(n) for n in ordered))
    return pattern.sub(lambda m: mask_name(m.group(0)), text)


def local_text(moment: datetime) -> str:
    """A time as the board and the refusals write it: 2026-12-08 23:59 (local time)."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def evaluation_wait(notice: Notice | None, *, now: datetime | None = None) -> str | None:
    """Why a request for evaluation must wait for the case's posted notice (the latest), or None:
    its objection period runs (the reason names its end), or objections wait for moderation. The
    guard refuses with this reason; the case page leaves the step out and shows it."""
    if notice is None:
        return None  # a household matter, or a notice posted before the board existed
    if (now or timezone.now()) <= notice.objection_until:
        return str(format_lazy(_("公示期未满：异议期至 {until} 止，期满后才能提请评价"),
                               until=local_text(notice.objection_until)))
    waiting = notice.comments.filter(kind=CommentKind.OBJECTION, status=CommentStatus.PENDING).count()
    if waiting:
        return str(format_lazy(_("还有 {n} 条居民异议待审核，审核后才能提请评价"), n=waiting))
    return None


def current_notice(case: Case, *, lock: bool = False) -> Notice | None:
    """The case's notice that is still posted (the latest), if any; `lock`: its row locked, for the
    services' guards inside a move's transaction."""
    qs = Notice.objects.filter(case_id=case.pk, status=NoticeStatus.POSTED).order_by("-published_at", "-id")
    return (qs.select_for_update() if lock else qs).first()


def open_q(now: datetime | None = None) -> Q:
    """A notice whose objection period runs now."""
    return Q(status=NoticeStatus.POSTED, objection_until__gte=now or timezone.now())


def shown_comments() -> Prefetch:
    return Prefetch("comments", queryset=Comment.objects.filter(status__in=SHOWN).order_by("created_at", "id"),
                    to_attr="shown")


def board(*, node: OrgNode | None = None, kind: str = "", open_only: bool | None = None) -> QuerySet[Notice]:
    """Every notice, newest first: of `node` and the nodes below it, of `kind`, whose period is open
    (True) or over (False). With the node, case, vote and the published comments: a fixed number of
    queries for a page of notices."""
    qs = Notice.objects.select_related("node", "case", "vote").prefetch_related(shown_comments())
    if node is not None:
        qs = qs.filter(node__in=subtree(node).values("pk"))
    if kind:
        qs = qs.filter(kind=kind)
    if open_only is True:
        qs = qs.filter(open_q())
    elif open_only is False:
        qs = qs.exclude(open_q())
    return qs.order_by("-published_at", "-id")


def board_nodes() -> QuerySet[OrgNode]:
    """The streets and communities a resident may filter the board by."""
    return OrgNode.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]).order_by("path")


def node_by_code(code: str) -> OrgNode | None:
    return OrgNode.objects.filter(code=code).first() if code else None


def notice_public(notice_id: int) -> Notice:
    notice = (Notice.objects.select_related("node", "case", "vote").prefetch_related(shown_comments())
              .filter(pk=notice_id).first())
    if notice is None:
        raise NotFound(_("公示不存在"))
    return notice


def progress(notice: Notice) -> list[dict[str, Any]]:
    """What happened to the matter since the notice was posted, as residents may read it: the
    case's public notes (ledger progress, the vote, evaluation, closing, a new deliberation) up to
    the case's next notice, if any (the new one tells the rest), masked as the notice is (numbers,
    the names known on the case as 张*: a note after posting may quote a resolution or an opinion)."""
    events = (CaseEvent.objects.filter(case_id=notice.case_id, at__gte=notice.published_at)
              .exclude(pk=notice.event_id).exclude(action__in=NOT_PROGRESS).order_by("at", "id"))
    following = (Notice.objects.filter(case_id=notice.case_id, pk__gt=notice.pk).order_by("pk")
                 .values_list("published_at", flat=True).first())
    if following is not None:
        events = events.filter(at__lt=following)
    rows = list(events)
    names = known_names(notice.case) if rows else set()
    return [{"at": e.at, "action": e.action, "label": str(ACTION_LABELS.get(e.action, e.action)),
             "note": public_text(e.public_note, names)} for e in rows]


def comment_public(comment: Comment) -> dict[str, Any]:
    """A published comment as everyone reads it: the name as 张*, never a phone."""
    return {"id": comment.pk, "kind": comment.kind, "kind_label": str(CommentKind(comment.kind).label),
            "status": comment.status, "status_label": str(CommentStatus(comment.status).label),
            "name": mask_name(comment.name) if comment.name else "", "text": comment.shown_text,
            "reply": comment.shown_reply,
            "created_at": comment.created_at}


def is_open(notice: Notice, now: datetime | None = None) -> bool:
    return notice.status == NoticeStatus.POSTED and (now or timezone.now()) <= notice.objection_until


def notice_summary(notice: Notice, *, with_progress: bool = False) -> dict[str, Any]:
    """Everything the board, the API, the feed and the printed page say of a notice."""
    case: Case = notice.case
    shown = getattr(notice, "shown", None)
    if shown is None:
        shown = list(notice.comments.filter(status__in=SHOWN).order_by("created_at", "id"))
    return {
        "id": notice.pk, "case_number": case.number or "", "kind": notice.kind,
        "kind_label": str(Kind(notice.kind).label),
        "title": notice.title, "text": notice.text, "resolution": notice.resolution, "result": notice.result,
        "node": {"code": notice.node.code, "name": notice.node.name, "level": notice.node.level},
        "published_at": notice.published_at, "objection_until": notice.objection_until,
        "open": is_open(notice), "status": notice.status, "status_label": str(NoticeStatus(notice.status).label),
        "case_status": case.status, "case_status_label": case.get_status_display(),
        "comments": [comment_public(c) for c in shown],
        "vote": vote_summary(notice.vote) if notice.vote_id and notice.vote is not None else None,
        **({"progress": progress(notice)} if with_progress else {}),
    }


# ---- staff ---------------------------------------------------------------------------------------

def moderation_queue(user) -> list[Comment]:
    """The comments waiting for `user`'s decision: pending, on notices of cases in their sight (the
    scope module's filter, in the database) that they may moderate (its rule, per case), oldest first."""
    return _moderated_by(user, Q(status=CommentStatus.PENDING))


def published_on_posted(user) -> list[Comment]:
    """The comments `user` published (or a colleague did) on notices still posted, that they may
    still hide (an advertisement noticed late, a name the masking missed), newest first."""
    return _moderated_by(user, Q(status=CommentStatus.PUBLISHED, notice__status=NoticeStatus.POSTED))[::-1]


def _moderated_by(user, where: Q) -> list[Comment]:
    if not getattr(user, "is_authenticated", False):
        return []
    roles = scope.roles_of(user)
    rows = (Comment.objects.filter(scope.case_q(user, "notice__case__", roles), where)
            .select_related("notice__node", "notice__case__org__parent", "notice__case__grid")
            .order_by("created_at", "id"))
    allowed: dict[int, bool] = {}
    out = []
    for comment in rows:
        case = comment.notice.case
        if case.pk not in allowed:
            allowed[case.pk] = scope.acting_role(user, "moderate", case, roles) is not None
        if allowed[case.pk]:
            out.append(comment)
    return out


def notices_for(user, roles=None) -> QuerySet[Notice]:
    """The notices of cases in `user`'s sight (the scope module's filter, in the database), newest
    first, with their node, case and vote, and how many comments each has: published, objections,
    waiting for moderation, objections upheld (the staff's list of notices and its Excel export)."""
    if not getattr(user, "is_authenticated", False):
        return Notice.objects.none()
    return (Notice.objects.filter(scope.case_q(user, "case__", roles))
            .select_related("node", "case", "vote")
            .annotate(published_comments=Count("comments", filter=Q(comments__status__in=SHOWN)),
                      objections=Count("comments", filter=Q(comments__kind=CommentKind.OBJECTION)),
                      waiting=Count("comments", filter=Q(comments__status=CommentStatus.PENDING)),
                      upheld=Count("comments", filter=Q(comments__status=CommentStatus.ACCEPTED)))
            .order_by("-published_at", "-id"))


def waiting_q() -> Q:
    """A notice with a comment waiting for moderation (an id subquery: no join multiplies rows)."""
    return Q(pk__in=Comment.objects.filter(status=CommentStatus.PENDING).values("notice_id"))


def comment_for_staff(user, comment_id: int) -> Comment:
    """One comment on a notice of a case in the user's sight; NotFound otherwise."""
    comment = (Comment.objects.filter(scope.case_q(user, "notice__case__"), pk=comment_id)
               .select_related("notice__case", "notice__node").first()
               if getattr(user, "is_authenticated", False) else None)
    if comment is None:
        raise NotFound(_("意见不存在"))
    return comment


def notices_of_case(case: Case) -> list[Notice]:
    """The case's notices, newest first, each with how many comments wait for moderation."""
    return list(Notice.objects.filter(case=case).annotate(
        waiting=Count("comments", filter=Q(comments__status=CommentStatus.PENDING))).order_by("-published_at", "-id"))

"""Owners' votes in the API (mounted by sanshi.api.api under /api/v1). A vote's counts are public —
anyone, no personal data: heads and areas, never names. The community secretary's operations take
a bearer token: open a vote on a resolution, enter a paper or proxy ballot (multipart, with the
scan or the authorisation), close it. The same services as the pages; 400 with field errors, 403 /
404 as for cases, 409 for a move the vote's state refuses."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from sanshi.accounts.auth import staff
from sanshi.accounts.idempotency import idempotent
from sanshi.cases import scope
from sanshi.core.errors import NotFound
from sanshi.core.schemas import public_errors, router_errors
from sanshi.deliberation.models import AgendaItem

from .selectors import electorate_for, public_vote, vote_for, vote_summary
from .services import ballot_record, vote_close, vote_open

router = Router(tags=["votes"])


class VoteOut(Schema):
    id: int
    title: str
    item: int = Field(..., description="民法典第二百七十八条第一款第几项（1–9）")
    item_label: str
    rule: str = Field(..., description="majority：过半数；three_quarters：四分之三以上（第六至八项）")
    status: str = Field(..., description="open 表决中；closed 已结束")
    secret: bool = Field(..., description="无记名投票：结束前不公布各选项票数")
    owners_total: int = Field(..., description="业主总人数（按专有部分计，同一买受人多套、开发建设单位未售出部分各按一人）")
    area_total: str = Field(..., description="专有部分总面积，㎡，两位小数")
    participating_owners: int
    participating_area: str
    yes_owners: int | None
    yes_area: str | None
    no_owners: int | None
    no_area: str | None
    abstain_owners: int | None
    abstain_area: str | None
    participation_met: bool | None = Field(..., description="参与表决达到面积和人数均三分之二以上（结束后）")
    approval_met: bool | None = Field(..., description="同意达到规定比例（结束后）")
    passed: bool | None = Field(..., description="是否通过；表决中为 null")


class VoteIn(Schema):
    agenda_item: int = Field(..., description="社区评议会议定事项（议程条目）的编号")
    electorate: int = Field(..., description="业主名册编号")
    item: int = Field(..., description="共同决定事项类别（1–9）")
    title: str
    secret: bool = False
    ends_on: date | None = None


class BallotIn(Schema):
    unit: int = Field(..., description="房屋（专有部分）编号；同一业主的其他房屋一并计票")
    choice: str = Field(..., description="yes 同意；no 反对；abstain 弃权")
    channel: str = Field("paper", description="paper 纸质表决票；proxy 委托代理人")
    signer: str = ""
    proxy_name: str = ""
    proxy_note: str = ""


class BallotsOut(Schema):
    vote: int
    units: list[int]
    summary: VoteOut


class CloseIn(Schema):
    note: str = ""


@router.get("/votes/{vote_id}", response={200: VoteOut, **public_errors(404)}, auth=None,
            summary="业主表决的计票结果（公开：只有人数和面积，没有姓名）")
def vote_detail(request, vote_id: int):
    return vote_summary(public_vote(vote_id))


@router.post("/votes", response={201: VoteOut, **router_errors(403, 404, 409)}, auth=staff,
             summary="发起业主表决（社区书记；社区评议会已议定的共事）")
@idempotent
def create_vote(request, payload: VoteIn):
    item = (AgendaItem.objects.select_related("case", "meeting").filter(pk=payload.agenda_item)
            .filter(case__in=scope.cases(request.auth)).first())
    if item is None:
        raise NotFound(_("议定事项不存在"))
    vote = vote_open(actor=request.auth, agenda_item=item, electorate=electorate_for(request.auth, payload.electorate),
                     item=payload.item, title=payload.title, secret=payload.secret, ends_on=payload.ends_on)
    return Status(201, vote_summary(vote))


@router.post("/votes/{vote_id}/ballots", response={201: BallotsOut, **router_errors(403, 404, 409)}, auth=staff,
             summary="录入纸质表决票或委托投票（multipart：scan 表决票扫描件，proxy_document 授权委托书）")
@idempotent
def record_ballot(request, vote_id: int, payload: Form[BallotIn], scan: File[UploadedFile] = None,
                  proxy_document: File[UploadedFile] = None):
    vote = vote_for(request.auth, vote_id)
    ballots = ballot_record(actor=request.auth, vote=vote, unit_id=payload.unit, choice=payload.choice,
                            channel=payload.channel, signer=payload.signer, proxy_name=payload.proxy_name,
                            proxy_note=payload.proxy_note, scan=scan, proxy_document=proxy_document)
    return Status(201, {"vote": vote.pk, "units": sorted(b.entry.unit_id for b in ballots),
                        "summary": vote_summary(vote)})


@router.post("/votes/{vote_id}/close", response={200: VoteOut, **router_errors(403, 404, 409)}, auth=staff,
             summary="结束表决并计票")
@idempotent
def close_vote(request, vote_id: int, payload: CloseIn):
    vote = vote_for(request.auth, vote_id)
    vote_close(actor=request.auth, vote=vote, note=payload.note)
    vote.refresh_from_db()
    return vote_summary(vote)

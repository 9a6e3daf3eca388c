"""Every write of owners' votes (业主共同决定, docs/votes.md): electorates (created, imported from
Excel all or nothing, units and owners edited), votes (opened on a resolution with the roll frozen,
paper and proxy ballots entered by staff, web ballots cast with a one-time SMS code, closed and
counted), each in one transaction with its audit row.

A vote moves only through `vote_transition` — the table in `transitions.py`, a `VoteEvent` and an
audit row per move; opening and closing also write the case's timeline (`record_event`).

A head (one owner in the count) votes all its units at once with one choice: an owner of several
units votes once for all of them, each unit getting its ballot (one ballot per unit). Ballots are
never deleted: there is no service for it, and every foreign key to a ballot protects it."""

import hmac
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record
from sanshi.cases import scope
from sanshi.cases.models import Status
from sanshi.cases.routing import Body
from sanshi.cases.services import record_event
from sanshi.cases.transitions import TimelineEvent
from sanshi.core.channels.sms import get_backend
from sanshi.core.crypto import lookup_hash
from sanshi.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.images import delete_stored, photo_problem, store_image
from sanshi.core.jobs import enqueue
from sanshi.core.personal import ID_NUMBER_RE, mask_personal_text, normalise_phone
from sanshi.deliberation.models import AgendaItem
from sanshi.registry.models import Household, Level, OrgNode, Person, StaffRole
from sanshi.registry.selectors import subtree
from sanshi.registry.services import person_register

from . import permissions
from .models import (
    Ballot,
    BallotCode,
    Channel,
    Choice,
    Electorate,
    Item,
    RollEntry,
    SecretCount,
    Unit,
    Vote,
    VoteEvent,
    VoteStatus,
)
from .rules import Tally, head_of, rule_for
from .selectors import tally_numbers, vote_tally
from .spreadsheet import (
    ADDRESS_MAX,
    NAME_MAX,
    TWO_PLACES,
    OwnerRow,
    RowError,
    Sheet,
    UnitRows,
    max_length,
    read_sheet,
)
from .transitions import ACTION_LABELS, VoteAction, find_move

SEND_CODE_JOB = "votes_send_code"
CODE_MINUTES = 10  # a code is good for this long after it is sent
CODE_RESEND_SECONDS = 60  # one phone asks again at most this often …
CODES_PER_HOUR = 5  # … and at most this many times an hour per vote
CODE_TRIES = 5  # wrong codes typed before the live codes of that phone end
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a scan or an authorisation as PDF
TITLE_MAX = max_length(Vote, "title")
SIGNER_MAX = max_length(Ballot, "signer")
PROXY_NOTE_MAX = max_length(Ballot, "proxy_note")


# ---- who may ---------------------------------------------------------------------------------

def _keeper(actor, node: OrgNode, message) -> StaffRole:
    role = permissions.keeper_role(actor, node)
    if role is None:
        raise NotPermitted(message)
    return role


def _community_of(node: OrgNode) -> OrgNode:
    community = node.ancestor(Level.COMMUNITY)
    if community is None or node.level not in (Level.GRID, Level.MICRO_GRID):
        raise ValidationFailed(_("名册应建在社区下的网格或微网格"), errors={"node": _("请选择本社区的网格或微网格（小区、楼栋）")})
    return community


def _audit(actor, role: StaffRole | None, event: str, obj_type: str, obj_id: int) -> None:
    audit_record(event=event, actor=actor, role=role.role if role else "", node=role.node.code if role else "",
                 obj_type=obj_type, obj_id=str(obj_id))


# ---- electorates -----------------------------------------------------------------------------

@transaction.atomic
def electorate_create(*, actor, node: OrgNode, name: str) -> Electorate:
    """A new, empty electorate of a compound or group of buildings (a grid or micro-grid)."""
    _community_of(node)
    role = _keeper(actor, node, _("只有本社区的社区书记可以建立业主名册"))
    name = (name or "").strip()
    limit = max_length(Electorate, "name")
    if not name or len(name) > limit:
        raise ValidationFailed(_("名册名称有误"), errors={"name": format_lazy(_("请填写名称（最多{n}字）"), n=limit)})
    electorate = Electorate.objects.create(name=name, node=node, created_by=actor)
    _audit(actor, role, "electorate.create", "electorate", electorate.pk)
    return electorate


@dataclass
class _Plan:
    persons: dict[tuple, Person | None]  # owner key → the person matched, None: to create
    homes: dict[tuple, str]  # owner key → the address of the household a new person joins
    rows: dict[tuple, OwnerRow]  # owner key → its first row
    owners_of: dict[str, list[tuple]]  # unit address → its owners' keys
    households: dict[str, Household]  # address → an existing household there


def _owner_key(address: str, owner: OwnerRow) -> tuple:
    """Who an owner's row names: the same ID number, or the same name with the same phone, is the
    same person across rows (one buyer's several units); a name alone only within one unit."""
    if owner.id_number:
        return ("id", lookup_hash(owner.id_number))
    if owner.phone:
        return ("phone", lookup_hash(owner.phone), owner.name)
    return ("name", address, owner.name)


def _plan(electorate: Electorate, units: list[UnitRows], warnings: list[RowError]) -> _Plan:
    """Match every owner to the person register of the electorate's community (by ID number, else
    by phone and name, else by name in the household at the unit's address); those not found will
    be registered in the household at their unit's address."""
    area = subtree(_community_of(electorate.node)).values("pk")
    keys: dict[tuple, OwnerRow] = {}
    homes: dict[tuple, str] = {}
    owners_of: dict[str, list[tuple]] = {}
    for unit in units:
        owners_of[unit.address] = []
        for owner in unit.owners:
            key = _owner_key(unit.address, owner)
            keys.setdefault(key, owner)
            homes.setdefault(key, unit.address)
            if key not in owners_of[unit.address]:
                owners_of[unit.address].append(key)
    people = Person.objects.filter(household__node_id__in=area).order_by("pk")
    by_id: dict[str, Person] = {}
    for p in people.filter(id_number_hash__in=[k[1] for k in keys if k[0] == "id"]):
        by_id.setdefault(p.id_number_hash, p)
    by_phone: dict[tuple, Person] = {}
    for p in people.filter(phone_hash__in=[k[1] for k in keys if k[0] == "phone"]):
        by_phone.setdefault((p.phone_hash, p.name), p)
    addresses = [u.address for u in units]
    by_name: dict[tuple, Person] = {}
    for p in people.filter(household__address__in=addresses).select_related("household"):
        by_name.setdefault((p.household.address, p.name), p)
    households: dict[str, Household] = {}
    for h in Household.objects.filter(node_id__in=area, address__in=addresses).order_by("pk"):
        households.setdefault(h.address, h)
    persons: dict[tuple, Person | None] = {}
    for key, owner in keys.items():
        if key[0] == "id":
            person = by_id.get(key[1])
            if person is not None and person.name != owner.name:
                warnings.append(RowError(owner.row, "业主姓名", str(_("与居民登记中同一身份证号的姓名不同；已按身份证号认定为同一人，姓名未修改"))))
            if person is not None and owner.phone and person.phone_hash != lookup_hash(owner.phone):
                warnings.append(RowError(owner.row, "业主手机", str(_("与居民登记中的电话不同，未修改；网上投票的验证码发往居民登记中的电话"))))
        elif key[0] == "phone":
            person = by_phone.get((key[1], key[2]))
        else:
            person = by_name.get((key[1], key[2]))
        persons[key] = person
    return _Plan(persons=persons, homes=homes, rows=keys, owners_of=owners_of, households=households)


def _household(electorate: Electorate, plan: _Plan, address: str) -> Household:
    """The household at a unit's address in the community, or a new one at the electorate's node."""
    household = plan.households.get(address)
    if household is None:
        household = plan.households[address] = Household.objects.create(node=electorate.node, address=address)
    return household


# ---- units and owners, one at a time ------------------------------------------------------------

def _area(value, field_name: str = "area") -> Decimal:
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("面积有误"), errors={field_name: _("面积不是数字")}) from None
    if not area.is_finite() or area <= 0 or area != area.quantize(TWO_PLACES) or area >= Decimal(10) ** 8:
        raise ValidationFailed(_("面积有误"), errors={field_name: _("面积须大于0，单位㎡，最多两位小数")})
    return area.quantize(TWO_PLACES)


@transaction.atomic
def unit_add(*, actor, electorate: Electorate, address: str, area, developer_held: bool = False) -> Unit:
    role = _keeper(actor, electorate.node, _("只有本社区的社区书记可以修改业主名册"))
    address = (address or "").strip()
    if not address or len(address) > ADDRESS_MAX:
        raise ValidationFailed(_("房屋地址有误"), errors={"address": format_lazy(_("请填写房屋地址（最多{n}字）"), n=ADDRESS_MAX)})
    area = _area(area)
    if electorate.units.filter(address=address).exists():
        raise ValidationFailed(_("房屋已在名册中"), errors={"address": _("名册中已有这套房屋")})
    unit = Unit.objects.create(electorate=electorate, address=address, area=area, developer_held=developer_held)
    _audit(actor, role, "electorate.unit_add", "electorate", electorate.pk)
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, area, developer_held: bool) -> Unit:
    """Correct a unit's area or the developer's flag. Votes already open keep their frozen roll."""
    role = _keeper(actor, unit.electorate.node, _("只有本社区的社区书记可以修改业主名册"))
    area = _area(area)
    if developer_held and unit.owners.exists():
        raise ValidationFailed(_("房屋有业主"), errors={"developer_held": _("请先移除这套房屋的业主，再标为开发建设单位持有")})
    unit.area, unit.developer_held = area, developer_held
    unit.save(update_fields=["area", "developer_held"])
    _audit(actor, role, "electorate.unit_edit", "electorate", unit.electorate_id)
    return unit


@transaction.atomic
def unit_owner_add(*, actor, unit: Unit, name: str, phone: str = "", id_number: str = "") -> Person:
    """Add an owner to a unit: matched to the person register as an import matches (ID number, else
    phone and name, else name at the address), or registered in the household at its address."""
    role = _keeper(actor, unit.electorate.node, _("只有本社区的社区书记可以修改业主名册"))
    if unit.developer_held:
        raise ValidationFailed(_("开发建设单位持有的房屋不登记业主"), errors={"name": _("先取消“开发建设单位未售出或未交付”，再添加业主")})
    errors: dict[str, Any] = {}
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = format_lazy(_("请填写姓名（最多{n}字）"), n=NAME_MAX)
    try:
        phone = normalise_phone(phone, field="phone")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    id_number = (id_number or "").strip().upper()
    if id_number and not ID_NUMBER_RE.match(id_number):
        errors["id_number"] = _("身份证号格式不正确（18位，末位可为X）")
    if errors:
        raise ValidationFailed(_("业主信息有误"), errors=errors)
    owner = OwnerRow(row=0, name=name, phone=phone, id_number=id_number)
    rows = UnitRows(address=unit.address, row=0, owners=[owner])
    plan = _plan(unit.electorate, [rows], [])
    key = _owner_key(unit.address, owner)
    person = plan.persons[key] or person_register(
        household=_household(unit.electorate, plan, unit.address), name=name, phone=phone, id_number=id_number)
    if unit.owners.filter(pk=person.pk).exists():
        raise ValidationFailed(_("已是业主"), errors={"name": _("此人已是这套房屋的业主")})
    unit.owners.add(person)
    _audit(actor, role, "electorate.owner_add", "electorate", unit.electorate_id)
    return person


@transaction.atomic
def unit_owner_remove(*, actor, unit: Unit, person_id: int) -> None:
    role = _keeper(actor, unit.electorate.node, _("只有本社区的社区书记可以修改业主名册"))
    if not unit.owners.filter(pk=person_id).exists():
        raise NotFound(_("这套房屋没有这位业主"))
    unit.owners.remove(person_id)
    _audit(actor, role, "electorate.owner_remove", "electorate", unit.electorate_id)


# ---- the one guarded transition of a vote -----------------------------------------------------

def vote_transition(*, vote: Vote, action: str, actor=None, role: StaffRole | None = None, note: str = "",
                    data: dict | None = None, changes: dict | None = None) -> VoteEvent:
    """Move `vote` by `action` if the table (transitions.py) allows it from its status now; apply
    `changes`, write one VoteEvent and one audit row, in one transaction. Refuse otherwise."""
    with transaction.atomic():
        audit_lock()
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        target = find_move(action, locked.status)
        if target is None:
            raise TransitionNotAllowed(format_lazy(
                _("表决当前状态「{status}」不能{action}"),
                status=VoteStatus(locked.status).label if locked.status else _("未开始"),
                action=ACTION_LABELS.get(str(action), action)))
        now = timezone.now()
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        if target == VoteStatus.OPEN:
            locked.opened_at = now
        if target == VoteStatus.CLOSED:
            locked.closed_at = now
        source, locked.status = locked.status, target
        locked.save()
        event = VoteEvent.objects.create(
            vote=locked, action=str(action), from_status=source, to_status=target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=role.get_role_display() if role else "", at=now, note=note, data=data or {})
        _audit(actor, role, f"vote.{action}", "vote", locked.pk)
        for name in ("status", "opened_at", "closed_at", *(changes or {})):
            setattr(vote, name, getattr(locked, name))
    return event


# ---- votes -------------------------------------------------------------------------------------

RULE_TEXT = {"majority": "参与表决的专有部分面积和人数均过半数同意",
             "three_quarters": "参与表决的专有部分面积和人数均四分之三以上同意"}


@stored_in_canonical_language
def vote_open(*, actor, agenda_item: AgendaItem, electorate: Electorate, item: int, title: str,
              secret: bool = False, ends_on: date | None = None) -> Vote:
    """Put a resolution of a SHARED matter, decided by its community review meeting, to the owners of
    an electorate of that community. The roll is frozen now: later edits of the electorate do not
    change this vote. The case's timeline says the owners are asked."""
    case = agenda_item.case
    if not scope.can_see(actor, case):
        raise NotFound(_("事项不存在"))
    role = _keeper(actor, electorate.node, _("只有本社区的社区书记可以发起业主表决"))
    errors: dict[str, Any] = {}
    if item not in Item.values:
        errors["item"] = _("请选择共同决定事项的类别（民法典第二百七十八条第一款第一至九项）")
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = format_lazy(_("请填写表决事项（最多{n}字）"), n=TITLE_MAX)
    if ends_on is not None and ends_on < timezone.localdate():
        errors["ends_on"] = _("截止日期不能早于今天")
    if agenda_item.meeting.body != Body.COMMUNITY_REVIEW_MEETING or case.kind != "SHARED":
        errors["agenda_item"] = _("只有社区评议会议定的共事可以提请业主共同决定")
    elif agenda_item.meeting.org_id != _community_of(electorate.node).pk:
        errors["electorate"] = _("名册不属于作出决议的社区")
    if errors:
        raise ValidationFailed(_("表决信息有误"), errors=errors)
    if agenda_item.decided_at is None:
        raise TransitionNotAllowed(_("该事项尚未议定：请先在社区评议会上记录议定事项"))
    if case.status == Status.CLOSED:
        raise TransitionNotAllowed(_("事项已办结，不能再提请表决"))
    units = list(electorate.units.prefetch_related("owners"))
    if not units:
        raise ValidationFailed(_("名册中还没有房屋"), errors={"electorate": _("请先导入或添加房屋")})
    try:
        with transaction.atomic():
            audit_lock()
            if Vote.objects.filter(agenda_item=agenda_item, status=VoteStatus.OPEN).exists():
                raise TransitionNotAllowed(_("该议定事项已有正在进行的表决"))
            vote = Vote.objects.create(agenda_item=agenda_item, electorate=electorate, item=item, title=title,
                                       secret=secret, ends_on=ends_on)
            _freeze_roll(vote, units)
            numbers = tally_numbers(vote_tally(vote), outcome=False)
            vote_transition(vote=vote, action=VoteAction.OPEN, actor=actor, role=role,
                            data={k: numbers[k] for k in ("owners_total", "area_total")})
            record_event(case=case, event=TimelineEvent.VOTE_OPENED, actor=actor, actor_label=role.get_role_display(),
                         public_note=f"提请业主共同决定：{mask_personal_text(title)}（{Item(item).label}；"
                                     f"须专有部分面积和人数均三分之二以上的业主参与表决，{RULE_TEXT[rule_for(item)]}）",
                         data={"vote": vote.pk}, audit={"role": role.role, "node": role.node.code})
    except IntegrityError:  # another opening of the same resolution won the race
        raise TransitionNotAllowed(_("该议定事项已有正在进行的表决")) from None
    return vote


def _freeze_roll(vote: Vote, units: list[Unit]) -> None:
    entries = [RollEntry(vote=vote, unit=u, address=u.address, area=u.area, developer_held=u.developer_held,
                         head=head_of(unit_id=u.pk, developer_held=u.developer_held,
                                      owner_ids=[p.pk for p in u.owners.all()]))
               for u in units]
    RollEntry.objects.bulk_create(entries)
    through = RollEntry.owners.through
    through.objects.bulk_create([through(rollentry_id=e.pk, person_id=p.pk)
                                 for e, u in zip(entries, units, strict=True) for p in u.owners.all()])
    if vote.secret:
        SecretCount.objects.bulk_create([SecretCount(vote=vote, choice=c) for c in Choice.values])


@stored_in_canonical_language
def vote_close(*, actor, vote: Vote, note: str = "") -> Vote:
    """Close the vote and count it: the result (heads and areas, whether participation and consent
    reached their thresholds, passed or not) is kept on the vote, its event and the case's timeline."""
    role = _keeper(actor, vote.electorate.node, _("只有本社区的社区书记可以结束表决"))
    with transaction.atomic():
        audit_lock()
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.OPEN:  # the transition refuses too; count nothing first
            vote_transition(vote=vote, action=VoteAction.CLOSE, actor=actor, role=role)
        tally = vote_tally(locked)
        numbers = tally_numbers(tally, outcome=True)
        vote_transition(vote=vote, action=VoteAction.CLOSE, actor=actor, role=role, note=(note or "").strip(),
                        data=numbers, changes={"passed": tally.outcome.passed, "result": numbers})
        case = vote.agenda_item.case
        if case.status != Status.CLOSED:  # a closed case takes no more timeline events; the vote keeps its result
            record_event(case=case, event=TimelineEvent.VOTE_CLOSED, actor=actor, actor_label=role.get_role_display(),
                         public_note=result_text(vote, tally), data={"vote": vote.pk, "passed": tally.outcome.passed},
                         audit={"role": role.role, "node": role.node.code})
    return vote


def result_text(vote: Vote, tally: Tally) -> str:
    """The result in one sentence, for the case's public timeline: counts and areas, no names."""
    outcome = tally.outcome
    verdict = "通过" if outcome.passed else (
        "未通过：参与表决的业主未达到专有部分面积和人数均三分之二以上" if not outcome.participation_met
        else "未通过：同意票未达到规定比例")
    return (f"业主表决「{mask_personal_text(vote.title)}」：应参与 {tally.total.owners} 人、{tally.total.area}㎡；"
            f"实际参与 {tally.participating.owners} 人、{tally.participating.area}㎡；同意 {tally.yes.owners} 人、"
            f"{tally.yes.area}㎡，反对 {tally.no.owners} 人、{tally.no.area}㎡，弃权 {tally.abstain.owners} 人、"
            f"{tally.abstain.area}㎡。{verdict}")


# ---- ballots -----------------------------------------------------------------------------------

def _document_problem(upload: UploadedFile, label):
    """What is wrong with a scan or an authorisation (an image, or a PDF), or None."""
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
            return format_lazy(_("{label}超过{mb}MB"), label=label, mb=MAX_DOCUMENT_BYTES // (1024 * 1024))
        return None
    return photo_problem(upload)


def _store_document(upload: UploadedFile) -> str:
    """An image re-encoded (core.images), a PDF as it is; both under a random name."""
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        return store_image(upload, "votes")
    data = io.BytesIO()
    for chunk in upload.chunks():
        data.write(chunk)
    upload.seek(0)
    return default_storage.save(f"votes/{timezone.localdate():%Y/%m}/{secrets.token_urlsafe(16)}.pdf",
                                ContentFile(data.getvalue()))


def _cast(*, vote: Vote, entries: list[RollEntry], choice: str, channel: str, actor=None,
          persons: dict[int, int] | None = None, signer: str = "", proxy_name: str = "", proxy_note: str = "",
          scan: str = "", proxy_document: str = "") -> list[Ballot]:
    """One ballot for each of `entries` (all the units of the heads voting now), under the vote's
    lock. A secret vote's ballots name no choice; the choice is added to its count."""
    now = timezone.now()
    ballots = [Ballot(vote=vote, entry=e, choice="" if vote.secret else choice, channel=channel,
                      person_id=(persons or {}).get(e.pk), recorded_by=actor if getattr(actor, "is_authenticated", False)
                      else None, cast_at=now, signer=signer, proxy_name=proxy_name, proxy_note=proxy_note,
                      scan=scan, proxy_document=proxy_document) for e in entries]
    Ballot.objects.bulk_create(ballots)
    if vote.secret:
        counter = SecretCount.objects.select_for_update().get(vote=vote, choice=choice)
        counter.owners += len({e.head for e in entries})
        counter.area += sum((e.area for e in entries), Decimal("0.00"))
        counter.save(update_fields=["owners", "area"])
    return ballots


def _lock_open(vote: Vote) -> Vote:
    locked = Vote.objects.select_for_update().get(pk=vote.pk)
    if locked.status != VoteStatus.OPEN:
        raise TransitionNotAllowed(_("表决已结束，不能再投票"))
    return locked


@stored_in_canonical_language
def ballot_record(*, actor, vote: Vote, unit_id: int, choice: str, channel: str, signer: str = "",
                  proxy_name: str = "", proxy_note: str = "", scan: UploadedFile | None = None,
                  proxy_document: UploadedFile | None = None) -> list[Ballot]:
    """A paper ballot (with its scan) or a proxy's ballot (with the authorisation) entered by the
    community's staff, for the unit named and every other unit of the same owner (one head votes
    once, one ballot per unit). In a secret vote no scan is kept: it would tie the choice to the
    unit."""
    role = _keeper(actor, vote.electorate.node, _("只有本社区的社区书记可以录入表决票"))
    errors: dict[str, Any] = {}
    if choice not in Choice.values:
        errors["choice"] = _("请选择同意、反对或弃权")
    if channel not in (Channel.PAPER, Channel.PROXY):
        errors["channel"] = _("请选择纸质表决票或委托代理人投票")
    signer, proxy_name, proxy_note = (signer or "").strip(), (proxy_name or "").strip(), (proxy_note or "").strip()
    if len(signer) > SIGNER_MAX:
        errors["signer"] = format_lazy(_("最多{n}字"), n=SIGNER_MAX)
    if channel == Channel.PROXY:
        if not proxy_name or len(proxy_name) > SIGNER_MAX:
            errors["proxy_name"] = format_lazy(_("请填写代理人姓名（最多{n}字）"), n=SIGNER_MAX)
        if len(proxy_note) > PROXY_NOTE_MAX:
            errors["proxy_note"] = format_lazy(_("最多{n}字"), n=PROXY_NOTE_MAX)
        if proxy_document is None:
            errors["proxy_document"] = _("请上传业主签名的授权委托书（照片或PDF）")
    if vote.secret and scan is not None:
        errors["scan"] = _("无记名表决不保存表决票扫描件：扫描件会把选择和房屋联系起来")
    elif not vote.secret and scan is None:
        errors["scan"] = _("请上传签名表决票的扫描件或照片")
    for name, upload, label in (("scan", scan, _("表决票扫描件")), ("proxy_document", proxy_document, _("授权委托书"))):
        if upload is not None and name not in errors and (problem := _document_problem(upload, label)):
            errors[name] = problem
    entry = RollEntry.objects.filter(vote=vote, unit_id=unit_id).first()
    if entry is None:
        errors["unit"] = _("这套房屋不在本次表决的名册中")
    if errors or entry is None:
        raise ValidationFailed(_("表决票信息有误"), errors=errors)
    stored = {name: _store_document(upload) for name, upload in (("scan", scan), ("proxy_document", proxy_document))
              if upload is not None}
    try:
        with transaction.atomic():
            audit_lock()
            locked = _lock_open(vote)
            entries = list(RollEntry.objects.filter(vote=locked, head=entry.head).order_by("pk"))
            if Ballot.objects.filter(entry__in=entries).exists():
                raise TransitionNotAllowed(_("该业主已经投票（同一业主的各套房屋一次投出，每套房屋一票）"))
            ballots = _cast(vote=locked, entries=entries, choice=choice, channel=channel, actor=actor, signer=signer,
                            proxy_name=proxy_name if channel == Channel.PROXY else "",
                            proxy_note=proxy_note if channel == Channel.PROXY else "",
                            scan=stored.get("scan", ""), proxy_document=stored.get("proxy_document", ""))
            _audit(actor, role, "vote.ballot", "vote", vote.pk)
    except BaseException:
        delete_stored(list(stored.values()))  # the ballots are not there: neither are their files
        raise
    return ballots


# ---- importing a sheet (spreadsheet.py) -------------------------------------------------------

@dataclass
class ImportReport:
    """What an import found (a dry run) or did: each row's errors, warnings, and the counts."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    rows: int = 0
    units_new: int = 0
    units_updated: int = 0
    units_kept: int = 0  # in the electorate but not in the sheet: left as they are
    developer_units: int = 0
    owners_matched: int = 0
    owners_new: int = 0
    total_area: Decimal = Decimal("0.00")
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def electorate_import(*, actor, electorate: Electorate, upload, dry_run: bool = True) -> ImportReport:
    """Read an uploaded sheet (spreadsheet.py) into `electorate`: units added or updated by address
    (area, developer's flag, owners as the sheet lists them), owners matched to the person register
    or registered in it. A dry run reports each row's errors and what would happen and writes
    nothing; an import writes everything in one transaction, or nothing when any row is wrong.
    Units the sheet does not name are left as they are."""
    role = _keeper(actor, electorate.node, _("只有本社区的社区书记可以导入业主名册"))
    sheet = read_sheet(upload)
    report = ImportReport(errors=list(sheet.errors), rows=sheet.rows)
    if sheet.errors:
        return report
    if dry_run:
        _fill_report(report, electorate, sheet, _plan(electorate, list(sheet.units.values()), report.warnings))
        return report
    with transaction.atomic():
        audit_lock()
        Electorate.objects.select_for_update().get(pk=electorate.pk)
        plan = _plan(electorate, list(sheet.units.values()), report.warnings)
        _fill_report(report, electorate, sheet, plan)
        _write(electorate, sheet, plan)
        _audit(actor, role, "electorate.import", "electorate", electorate.pk)
    report.written = True
    return report


def _fill_report(report: ImportReport, electorate: Electorate, sheet: Sheet, plan: _Plan) -> None:
    existing = set(electorate.units.values_list("address", flat=True))
    report.units_new = sum(1 for a in sheet.units if a not in existing)
    report.units_updated = len(sheet.units) - report.units_new
    report.units_kept = len(existing - set(sheet.units))
    report.developer_units = sum(1 for u in sheet.units.values() if u.developer_held)
    report.owners_matched = sum(1 for p in plan.persons.values() if p is not None)
    report.owners_new = sum(1 for p in plan.persons.values() if p is None)
    report.total_area = sum((u.area or Decimal(0) for u in sheet.units.values()), Decimal("0.00"))


def _write(electorate: Electorate, sheet: Sheet, plan: _Plan) -> None:
    persons: dict[tuple, Person] = {}
    for key, person in plan.persons.items():
        if person is None:
            owner = plan.rows[key]
            person = person_register(household=_household(electorate, plan, plan.homes[key]), name=owner.name,
                                     phone=owner.phone, id_number=owner.id_number)
        persons[key] = person
    existing = {u.address: u for u in electorate.units.all()}
    new, changed = [], []
    for address, rows in sheet.units.items():
        unit = existing.get(address)
        area, developer = rows.area or Decimal("0.01"), bool(rows.developer_held)
        if unit is None:
            new.append(Unit(electorate=electorate, address=address, area=area, developer_held=developer))
        else:
            unit.area, unit.developer_held = area, developer
            changed.append(unit)
    Unit.objects.bulk_create(new)
    Unit.objects.bulk_update(changed, ["area", "developer_held"])
    units = {u.address: u for u in [*new, *changed]}
    through = Unit.owners.through
    through.objects.filter(unit_id__in=[u.pk for u in units.values()]).delete()
    through.objects.bulk_create([through(unit_id=units[address].pk, person_id=persons[key].pk)
                                 for address, keys in plan.owners_of.items() for key in keys])


# ---- the web ballot: a one-time code by SMS to the phone on file --------------------------------

def _code_hash(code_id: int, code: str) -> str:
    return lookup_hash(f"vote-code:{code_id}:{code}")  # keyed: a copy of the table does not reveal codes


def _roll_persons(vote: Vote) -> QuerySet[Person]:
    """The owners on the vote's roll."""
    through = RollEntry.owners.through
    return Person.objects.filter(pk__in=through.objects.filter(rollentry__vote=vote).values("person_id"))


def web_ballot_available(vote: Vote) -> bool:
    """Whether owners can vote on the web now: the vote is open and SMS can be sent."""
    return vote.status == VoteStatus.OPEN and get_backend().enabled


def ballot_code_request(*, vote: Vote, phone: str) -> bool:
    """Queue a one-time code for the owner on the roll whose phone on file is `phone` (the job reads
    the phone again when it sends). True when a code was queued; False when no owner of this vote
    has that number, or it asked again too soon — the page says the same either way, so nobody
    learns from it who owns a unit here."""
    if vote.status != VoteStatus.OPEN:
        raise TransitionNotAllowed(_("表决已结束"))
    if not get_backend().enabled:
        raise TransitionNotAllowed(_("本次表决暂未开通短信验证码：请向社区领取纸质表决票"))
    phone = normalise_phone(phone, field="phone")
    if not phone:
        raise ValidationFailed(_("请填写手机号"), errors={"phone": _("请填写在社区登记的手机号")})
    person = _roll_persons(vote).filter(phone_hash=lookup_hash(phone)).order_by("pk").first()
    if person is None:
        return False
    now = timezone.now()
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one request per person at a time
        recent = BallotCode.objects.filter(vote=vote, person=person, created_at__gte=now - timedelta(hours=1))
        if recent.filter(created_at__gte=now - timedelta(seconds=CODE_RESEND_SECONDS)).exists() \
                or recent.count() >= CODES_PER_HOUR:
            return False
        code = BallotCode.objects.create(vote=vote, person=person, created_at=now)
        enqueue(SEND_CODE_JOB, {"code": code.pk})
    return True


def ballot_code_send(*, code_id: int) -> dict:
    """The job: make the code, keep its keyed hash (good for CODE_MINUTES from now), then send it to
    the phone on file now. A failed send raises — the job is retried and a new code replaces this
    one, so a code nobody received never works. Returns what it did (never the phone or the code)."""
    with transaction.atomic():
        row = (BallotCode.objects.select_for_update().select_related("person", "vote")
               .filter(pk=code_id).first())
        if row is None or row.used_at is not None or row.vote.status != VoteStatus.OPEN:
            return {"sent": False, "why": "not_needed"}
        phone = row.person.phone
        if not phone:
            return {"sent": False, "why": "no_phone"}
        code = f"{secrets.randbelow(10 ** 6):06d}"
        now = timezone.now()
        row.code_hash, row.sent_at, row.expires_at, row.attempts = (
            _code_hash(row.pk, code), now, now + timedelta(minutes=CODE_MINUTES), 0)
        row.save(update_fields=["code_hash", "sent_at", "expires_at", "attempts"])
        title = mask_personal_text(row.vote.title)[:24]
    get_backend().send(phone, f"【业主表决】验证码 {code}，{CODE_MINUTES}分钟内有效，用于“{title}”网上投票。请勿告诉他人。")
    return {"sent": True}


def ballot_code_verify(*, vote: Vote, phone: str, code: str) -> list[int]:
    """The owners on the roll with this phone, when `code` is the live code last sent to it (the code
    is used up). A wrong code counts against every live code of that phone; after CODE_TRIES wrong
    codes they stop working and a new one must be asked for."""
    if vote.status != VoteStatus.OPEN:
        raise TransitionNotAllowed(_("表决已结束"))
    phone = normalise_phone(phone, field="phone")
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    wrong = ValidationFailed(_("验证码不正确或已过期"), errors={"code": _("验证码不正确或已过期：请重新获取")})
    if not phone or len(code) != 6:
        raise wrong
    phone_hash = lookup_hash(phone)
    with transaction.atomic():
        now = timezone.now()
        live = list(BallotCode.objects.select_for_update(of=("self",)).filter(
            vote=vote, person__phone_hash=phone_hash, used_at__isnull=True, sent_at__isnull=False,
            expires_at__gt=now, attempts__lt=CODE_TRIES))
        match = next((c for c in live if hmac.compare_digest(c.code_hash, _code_hash(c.pk, code))), None)
        if match is None:
            for c in live:
                c.attempts += 1
                c.save(update_fields=["attempts"])
        else:
            match.used_at = now
            match.save(update_fields=["used_at"])
    if match is None:  # raised after the commit: the wrong try is counted
        raise wrong
    return list(_roll_persons(vote).filter(phone_hash=phone_hash).order_by("pk").values_list("pk", flat=True))


def web_ballot_heads(vote: Vote, person_ids: list[int]) -> tuple[list[RollEntry], list[RollEntry]]:
    """The units a verified owner's web ballot counts for (every unit of every head they belong to
    that has not voted yet), and those of theirs that already voted."""
    heads = set(RollEntry.objects.filter(vote=vote, owners__in=person_ids).values_list("head", flat=True))
    entries = list(RollEntry.objects.filter(vote=vote, head__in=heads).select_related("ballot").order_by("pk"))
    voted_heads = {e.head for e in entries if hasattr(e, "ballot")}
    return ([e for e in entries if e.head not in voted_heads], [e for e in entries if e.head in voted_heads])


@stored_in_canonical_language
def ballot_cast_web(*, vote: Vote, person_ids: list[int], choice: str) -> list[Ballot]:
    """The owner's web ballot, once verified by code: one choice for all their units not yet voted."""
    if choice not in Choice.values:
        raise ValidationFailed(_("请选择"), errors={"choice": _("请选择同意、反对或弃权")})
    if not person_ids:
        raise NotPermitted(_("请先用短信验证码核实身份"))
    with transaction.atomic():
        audit_lock()
        locked = _lock_open(vote)
        entries, _voted = web_ballot_heads(locked, person_ids)
        if not entries:
            raise TransitionNotAllowed(_("您名下的房屋都已投票"))
        owners = RollEntry.owners.through.objects.filter(rollentry__in=entries, person_id__in=person_ids)
        persons: dict[int, int] = {}
        for row in owners.order_by("person_id"):
            persons.setdefault(row.rollentry_id, row.person_id)
        ballots = _cast(vote=locked, entries=entries, choice=choice, channel=Channel.WEB, persons=persons)
        _audit(None, None, "vote.ballot", "vote", vote.pk)
    return ballots


"""The demo's owners' votes (业主共同决定): the compound of 东门社区's first grid (东门小区, DS01-G01) with
its units and owners — imported through the real Excel import, the owners registered in the person
register — and two votes on resolutions of SHARED cases decided by the community's review meeting:
the parking rule, which passed (J3: 1,473 votes for the parking-fee rule), and bringing in a property
company, which failed because too few owners took part (B2: agreement at 11.35% before the
community's work). Driven through the services, then moved back in time with the cases."""

import io
import random
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone
from openpyxl import Workbook
from PIL import Image, ImageDraw

from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import case_triage
from sanshi.core.errors import TransitionNotAllowed
from sanshi.deliberation.services import meeting_resolve_case
from sanshi.intake.models import Request
from sanshi.intake.services import RequestInput, request_submit
from sanshi.registry.models import OrgNode, Role
from sanshi.votes.models import Ballot, Channel, RollEntry, Vote, VoteEvent
from sanshi.votes.services import (
    ballot_cast_web,
    ballot_record,
    electorate_create,
    electorate_import,
    vote_close,
    vote_open,
)
from sanshi.votes.spreadsheet import HEADERS

from . import content

GRID = "DS01-G01"
BUILDINGS, FLOORS, PER_FLOOR = 6, 4, 2  # 48 units
AREAS = ["68.50", "75.20", "89.37", "96.80", "108.45", "120.60", "135.90"]
# (catalogue code, the request's title in content.REQUESTS, item of art. 278, the question, secret,
#  share of the owners who vote, share of those who agree)
VOTES = [
    ("S4", "停车费标准", 8, "《东门小区地面公共车位停车与收费管理办法》（利用共有部分从事经营活动）", False,
     0.9, 0.86),
    ("S2", "老旧小区引入物业", 4, "通过公开招标选聘物业服务企业，引入市场化物业服务", True, 0.55, 0.8),
]


def _name(rng: random.Random) -> str:
    return rng.choice(content.SURNAMES) + rng.choice(content.GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"


def _sheet(rng: random.Random, compound: str) -> SimpleUploadedFile:
    """The compound's roll as the community would fill the template: one row per owner; a buyer of
    three units (the same ID-less name and phone on each row), a few co-owned units, the developer's
    unsold units on the top floor of the last building."""
    book = Workbook()
    book.active.append(HEADERS)
    investor = (_name(rng), _phone(rng))
    for b in range(1, BUILDINGS + 1):
        for floor in range(1, FLOORS + 1):
            for n in range(1, PER_FLOOR + 1):
                address = f"{compound}{b}栋{floor}0{n}室"
                area = Decimal(rng.choice(AREAS))
                if b == BUILDINGS and floor == FLOORS:
                    book.active.append([address, area, "是", "", "", ""])
                    continue
                if b == 2 and floor in (1, 2, 3) and n == 1:
                    book.active.append([address, area, "否", investor[0], investor[1], ""])
                    continue
                book.active.append([address, area, "否", _name(rng), _phone(rng) if rng.random() < .75 else "", ""])
                if rng.random() < .15:  # a spouse on the deed too
                    book.active.append([address, None, None, _name(rng), "", ""])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("东门小区业主名册.xlsx", out.getvalue())


def _scan(text: str) -> SimpleUploadedFile:
    """A photo of a signed paper ballot, as staff would take it (a drawn card)."""
    image = Image.new("RGB", (320, 200), (252, 250, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 312, 192), outline=(60, 60, 60), width=2)
    draw.text((24, 40), text.encode("ascii", "ignore").decode() or "ballot", fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("ballot.png", out.getvalue(), content_type="image/png")


def _shared_case(demo, grid: OrgNode, code: str, title: str):
    """A SHARED case of the compound, deliberated by 东门社区's review meeting and decided with a
    resolution that puts the matter to the owners."""
    template = next(r for r in content.REQUESTS[code] if r["title"] == title)
    request = request_submit(actor=None, data=RequestInput(
        text=demo.fill(template["text"], grid), title=demo.fill(template["title"], grid), grid_code=grid.code,
        reporter_name=demo.person()))
    case = request.case
    case_triage(actor=demo.local(Role.OPERATOR, grid), case=case, kind="SHARED", catalogue_code=code,
                grid_code=grid.code, reason="按责任清单核定")
    demo.deliberate(case, grid)
    item = case.agenda_items.select_related("meeting").get()
    meeting_resolve_case(actor=demo.convener(case, grid), meeting=item.meeting, case=case,
                         resolution=content.RESOLUTIONS_BY_CODE[code][0])
    item.refresh_from_db()
    return request, case, item


def _vote(rng: random.Random, secretary, vote: Vote, turnout: float, agree: float) -> None:
    """Ballots from `turnout` of the owners (heads), `agree` of those for: most on the web, some on
    paper, a few by proxy; then the secretary closes the vote."""
    heads: dict[str, list[RollEntry]] = {}
    for entry in vote.roll.prefetch_related("owners").order_by("pk"):
        heads.setdefault(entry.head, []).append(entry)
    order = list(heads.values())
    rng.shuffle(order)
    voters = order[:round(turnout * len(order))]
    yes = round(agree * len(voters))
    for n, entries in enumerate(voters):
        choice = "yes" if n < yes else ("abstain" if n % 3 == 0 else "no")
        owners = [p for e in entries for p in e.owners.all()]
        try:
            if owners and owners[0].phone and n % 4:
                ballot_cast_web(vote=vote, person_ids=[owners[0].pk], choice=choice)
            elif n % 8 == 4 and owners:
                ballot_record(actor=secretary, vote=vote, unit_id=entries[0].unit_id, choice=choice,
                              channel=Channel.PROXY, proxy_name=_name(rng), proxy_note="业主在外地工作，书面委托亲属代为投票",
                              proxy_document=_scan("authorisation"),
                              scan=None if vote.secret else _scan("ballot"))
            else:
                ballot_record(actor=secretary, vote=vote, unit_id=entries[0].unit_id, choice=choice,
                              channel=Channel.PAPER, signer=owners[0].name if owners else "开发建设单位代表",
                              scan=None if vote.secret else _scan("ballot"))
        except TransitionNotAllowed:  # a co-owner's ballot already counted this unit
            continue
    vote_close(actor=secretary, vote=vote, note="表决期满，社区书记会同居务监督委员会计票")


def _backdate(demo, request, case, vote: Vote) -> None:
    """Move the case back in time (the builder's way), the vote open for a week or more before it
    closes, then the vote with it: opened and closed when the case's timeline says, the ballots in
    between."""
    demo.backdate(case, request, within_days=30)
    opened = CaseEvent.objects.get(case=case, action="vote_opened").at
    closed = CaseEvent.objects.get(case=case, action="vote_closed").at
    short = timedelta(days=7) - (closed - opened)
    if short > timedelta(0):  # whole days earlier: the hours stay in office time
        earlier = timedelta(days=short.days + 1)
        CaseEvent.objects.filter(case=case).exclude(action="vote_closed").update(at=F("at") - earlier)
        Request.objects.filter(pk=request.pk).update(received_at=F("received_at") - earlier)
        Case.objects.filter(pk=case.pk).update(created_at=F("created_at") - earlier)
        opened -= earlier
    Vote.objects.filter(pk=vote.pk).update(opened_at=opened, closed_at=closed,
                                           ends_on=timezone.localtime(closed).date())
    VoteEvent.objects.filter(vote=vote, action="open").update(at=opened)
    VoteEvent.objects.filter(vote=vote, action="close").update(at=closed)
    ballots = list(Ballot.objects.filter(vote=vote).order_by("pk"))
    step = (closed - opened) / (len(ballots) + 1)
    for n, ballot in enumerate(ballots, start=1):
        ballot.cast_at = opened + step * n
    Ballot.objects.bulk_update(ballots, ["cast_at"])


def build_votes(demo) -> None:
    rng = random.Random(20)  # its own stream: the rest of the demo stays as it was
    grid = OrgNode.objects.get(code=GRID)
    secretary = demo.local(Role.COMMUNITY_SECRETARY, grid.parent)
    electorate = electorate_create(actor=secretary, node=grid, name=f"{grid.address}全体业主")
    report = electorate_import(actor=secretary, electorate=electorate, upload=_sheet(rng, grid.address), dry_run=False)
    if not report.written:  # the demo's own sheet: a failure here is a bug in this file
        raise RuntimeError(f"demo electorate not imported: {report.errors[:3]}")
    for code, title, item, question, secret, turnout, agree in VOTES:
        request, case, agenda_item = _shared_case(demo, grid, code, title)
        vote = vote_open(actor=secretary, agenda_item=agenda_item, electorate=electorate, item=item, title=question,
                         secret=secret)
        _vote(rng, secretary, vote, turnout, agree)
        _backdate(demo, request, case, vote)
    demo.out(f"  业主表决：{electorate.name} {report.units_new} 套房屋，2 次表决（1 次通过，1 次参与不足未通过）")

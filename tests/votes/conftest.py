"""Owners' votes in the test district: a SHARED matter of 东门社区 (T1C1) decided by its community
review meeting, an electorate of its compound 鼎城花园 (T1C1-G01), and helpers to fill it and vote."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from sanshi.cases.services import case_triage
from sanshi.deliberation.services import ParticipantInput, meeting_resolve_case, meeting_schedule
from sanshi.intake.services import RequestInput, request_submit
from sanshi.votes.services import ballot_record, electorate_create, unit_add, unit_owner_add, vote_open


def png(name: str = "ballot.png") -> SimpleUploadedFile:
    """A small image, as a phone's photo of a signed paper ballot."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def shared_resolution(world, title: str = "停车收费标准"):
    """A SHARED matter of the community, on the agenda of its review meeting and decided there."""
    request = request_submit(actor=None, data=RequestInput(
        text=f"{title}：小区地面车位怎么收费，请业主们一起商量决定", title=title, grid_code="T1C1-G01"))
    case = request.case
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S4", grid_code="T1C1-G01",
                reason="按责任清单核定")
    meeting = meeting_schedule(actor=world.secretary, org=world.community, body="community_review_meeting",
                               title=f"评议会：{title}", form="meeting", scheduled_at=timezone.now(),
                               participants=[ParticipantInput("mediator", "调解员甲")], cases=[case])
    return meeting_resolve_case(actor=world.secretary, meeting=meeting, case=case,
                                resolution="收费标准提请业主共同决定")


@pytest.fixture
def resolution(world):
    return shared_resolution(world)


class Compound:
    """An electorate filled unit by unit through the services: `add("1栋101", "89.50", "张三")`."""

    def __init__(self, world, name: str = "鼎城花园全体业主", node=None):
        self.world = world
        self.electorate = electorate_create(actor=world.secretary, node=node or world.grid, name=name)
        self.units = {}

    def add(self, address: str, area: str, *owners: str, developer: bool = False, phone: str = ""):
        unit = unit_add(actor=self.world.secretary, electorate=self.electorate, address=f"鼎城花园{address}",
                        area=Decimal(area), developer_held=developer)
        for owner in owners:
            unit_owner_add(actor=self.world.secretary, unit=unit, name=owner, phone=phone)
        self.units[address] = unit
        return unit

    def open(self, resolution, item: int = 4, secret: bool = False, title: str = "停车收费标准"):
        return vote_open(actor=self.world.secretary, agenda_item=resolution, electorate=self.electorate, item=item,
                         title=title, secret=secret)

    def paper(self, vote, address: str, choice: str):
        return ballot_record(actor=self.world.secretary, vote=vote, unit_id=self.units[address].pk, choice=choice,
                             channel="paper", signer="业主本人", scan=None if vote.secret else png())


@pytest.fixture
def compound(world):
    return Compound(world)

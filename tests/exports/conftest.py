"""Cases in the test district for the lists and their exports: received (the pool), triaged to each
body, at given dates."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from sanshi.cases.models import Case
from sanshi.cases.services import case_triage
from sanshi.intake.services import RequestInput, request_submit

CST = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"


def received(title: str, *, grid: str = "T1C1-G01", text: str = "", name: str = "", phone: str = "",
             address: str = "", on: tuple[int, int, int] | None = None) -> Case:
    case = request_submit(actor=None, data=RequestInput(
        text=text or f"{title}，请尽快处理", title=title, grid_code=grid, reporter_name=name, reporter_phone=phone,
        address=address)).case
    if on is not None:
        Case.objects.filter(pk=case.pk).update(created_at=datetime(*on, 10, 0, tzinfo=CST))
    return Case.objects.get(pk=case.pk)


CODES = {"PUBLIC": "P5", "SHARED": "S2", "HOUSEHOLD": "H2"}


def triaged(world, title: str, kind: str = "SHARED", *, grid: str = "T1C1-G01", **kwargs) -> Case:
    case = received(title, grid=grid, **kwargs)
    operator = world.operator if grid.startswith("T1") else world.other_operator
    case_triage(actor=operator, case=case, kind=kind, catalogue_code=CODES[kind], reason="复核")
    return Case.objects.get(pk=case.pk)


def sheet_of(response):
    """The exported workbook's sheet: (the sheet, its header row, its data rows as dicts)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    return sheet, header, [dict(zip(header, row, strict=True)) for row in rows[3:]]

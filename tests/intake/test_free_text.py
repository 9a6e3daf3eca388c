"""Phone and ID numbers typed into a request's text are masked on every page, API answer, export and
notification for all but the case's handler — full-width digits, spaces and dashes inside numbers,
and ID numbers ending in X included — and the case's title never carries one."""

import io

from openpyxl import load_workbook

from sanshi.cases.models import Case
from sanshi.core.models import Notification
from sanshi.core.notify import notify
from sanshi.core.personal import mask_personal_text

from ..conftest import PASSWORD
from ..helpers import act, submit

TEXT = "我家电话１３８－１２３４－５６７８，身份证 11010519491231002x，楼上每晚装修到半夜，座机023-68881234"


def test_the_masking_rule():
    assert mask_personal_text(TEXT) == ("我家电话138****5678，身份证 110105********002x，楼上每晚装修到半夜，"
                                        "座机023-****1234")
    assert mask_personal_text("+86 139 0000 1111") == "139****1111"
    for kept in ("2026-12-05", "事项 20261205-ABCDEF", "金额5000元", "订单123456789012"):
        assert mask_personal_text(kept) == kept


def _case(client) -> Case:
    code = submit(client, text=TEXT, grid="T1C1-G01").json()["tracking_code"]
    return Case.objects.get(requests__tracking_code=code)


def test_the_title_is_stored_masked_and_lists_never_show_a_number(world, client):
    case = _case(client)
    assert "5678" in case.title and "1234-5678" not in case.title and "12345678" not in case.title
    client.login(username="operator", password=PASSWORD)
    pool = client.get("/staff/pool/").content.decode()
    assert case.title in pool
    assert "１２３４－５６７８" not in pool and "19491231" not in pool


def test_only_the_handler_reads_the_numbers_on_the_case_page_and_in_the_api(world, client, token_for):
    case = _case(client)
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2",
        reason="复核")
    client.login(username="operator", password=PASSWORD)  # sees the triaged case, does not handle it
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "138****5678" in page and "１２３４－５６７８" not in page and "19491231" not in page
    client.login(username="secretary", password=PASSWORD)  # the community's secretary handles it
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "１３８－１２３４－５６７８" in page and "11010519491231002x" in page
    # the API: the staff note of the triage (typed by the operator) shows masked to a non-handler
    from sanshi.cases.services import record_event
    from sanshi.cases.transitions import TimelineEvent

    record_event(case=case, event=TimelineEvent.LEDGER_PROGRESS, actor=world.secretary, note="已联系 13912345678")
    operator = client.get(f"/api/v1/cases/{case.pk}", **token_for(world.operator)).json()
    assert any(e["note"] == "已联系 139****5678" for e in operator["events"])
    secretary = client.get(f"/api/v1/cases/{case.pk}", **token_for(world.secretary)).json()
    assert any(e["note"] == "已联系 13912345678" for e in secretary["events"])


def test_notifications_and_the_public_timeline_are_masked(world, client):
    notify(recipients=[world.operator], subject="回电 13812345678", body="身份证 11010519491231002X")
    note = Notification.objects.get(recipient=world.operator)
    assert (note.subject, note.body) == ("回电 138****5678", "身份证 110105********002X")
    case = _case(client)
    from sanshi.cases.services import record_event
    from sanshi.cases.transitions import TimelineEvent

    record_event(case=case, event=TimelineEvent.LEDGER_PROGRESS, actor=world.operator,
                 public_note="已与居民（13812345678）联系")
    code = case.requests.get().tracking_code
    timeline = client.get(f"/api/v1/track/{code}").json()["timeline"]
    assert [e["note"] for e in timeline if "联系" in e["note"]] == ["已与居民（138****5678）联系"]


def test_exports_mask_numbers_and_never_carry_a_live_formula(world, client, token_for):
    from sanshi.audit.models import AuditEntry
    from sanshi.cases.services import case_triage
    from sanshi.supervision.models import LedgerEntry
    from sanshi.supervision.services import ledger_claim, ledger_report_progress

    created = submit(client, text="=cmd|' /C calc'!A0", title="=cmd|' /C calc'!A0", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    case_triage(actor=world.operator, case=case, kind="PUBLIC", catalogue_code="P3", reason="复核")
    entry = LedgerEntry.objects.get(case=case)
    ledger_claim(actor=world.street_officer, entry=entry)
    ledger_report_progress(actor=world.street_officer, entry=entry, note="@SUM(1+1) 已回电13812345678")
    client.login(username="street", password=PASSWORD)
    response = client.get("/staff/ledger/export/?show=all")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=cmd|' /C calc'!A0" in cells and "=cmd|' /C calc'!A0" not in cells
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert "'@SUM(1+1) 已回电138****5678" in cells
    export = AuditEntry.objects.get(event="export", obj_type="ledger")
    assert (export.actor_username, export.obj_id, export.reason) == ("street", "1", "status=all")  # the filters as the list writes them

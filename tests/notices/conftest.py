"""The notice board in the test district: matters publicised through the API as each role would,
with a reporter, meeting participants and texts that carry personal data the board must not show."""

import re
import zlib
from dataclasses import dataclass

import pytest

from sanshi.cases.models import Case
from sanshi.notices.models import Notice

from ..helpers import act, submit

PHONE = "13812345678"
ID_NUMBER = "11010519900307123X"
REPORTER = "张三丰"
PARTICIPANT = "李四光"
COMMENTER = "王五福"
COMMENTER_PHONE = "13987654321"


@dataclass
class Posted:
    case_id: int
    notice: Notice
    convener: dict  # the convener's token headers (who publicises, moderates, requests evaluation)


def publicise(world, client, token_for, *, kind: str = "SHARED", grid: str = "T1C1-G01",
              title: str = "鼎城花园地面停车收费") -> Posted:
    """A matter of `kind` reported by 张三丰 (phone on the request), decided by its body with 李四光 at
    the meeting, and publicised — its texts name both and carry a phone and an ID number."""
    created = submit(client, text=f"{title}：业主{REPORTER}反映收费不合理，电话{PHONE}", title=f"{REPORTER}反映{title}",
                     grid=grid, reporter_name=REPORTER, reporter_phone=PHONE).json()
    case_id = Case.objects.get(requests__tracking_code=created["tracking_code"]).pk
    op = token_for(world.operator if grid.startswith("T1") else world.other_operator)
    code = {"SHARED": "S4", "PUBLIC": "P3"}[kind]
    assert act(client, op, case_id, action="triage", kind=kind, catalogue_code=code,
               reason="按责任清单核定").status_code == 200
    case = Case.objects.get(pk=case_id)
    if kind == "PUBLIC":
        convener, org, body = token_for(world.street_officer), "T1", "street_joint_meeting"
        roles = ("street_officer", "community_secretary")
    elif case.org == world.sibling_community:
        convener, org, body = token_for(_secretary_of(world, world.sibling_community)), "T1C2", "community_review_meeting"
        roles = ("community_secretary", "resident_rep")
    else:
        convener, org, body = token_for(world.secretary), "T1C1", "community_review_meeting"
        roles = ("community_secretary", "resident_rep")
    response = client.post("/api/v1/meetings", {
        "org": org, "body": body, "title": "议事会", "form": "meeting", "scheduled_at": "2026-11-20T10:00:00+08:00",
        "participants": [{"role": roles[0], "name": "书记"}, {"role": roles[1], "name": PARTICIPANT}],
        "cases": [case_id]}, content_type="application/json", **convener)
    assert response.status_code == 201, response.content
    decided = act(client, convener, case_id, action="resolve", meeting=response.json()["id"],
                  resolution=f"按{PARTICIPANT}提议，{REPORTER}所在楼栋先试行，联系电话{PHONE}")
    assert decided.status_code == 200, decided.content
    posted = act(client, convener, case_id, action="publicise", result=f"已试行，身份证{ID_NUMBER}的业主已签字",
                 notice=f"{title}方案公示，{REPORTER}可来电{PHONE}")
    assert posted.status_code == 200, posted.content
    return Posted(case_id, Notice.objects.get(case_id=case_id), convener)


def _secretary_of(world, community):
    from sanshi.registry.models import Role, StaffRole

    found = StaffRole.objects.filter(role=Role.COMMUNITY_SECRETARY, node=community).select_related("user").first()
    return found.user if found else world.staff("secretary-t1c2", Role.COMMUNITY_SECRETARY, community)


@pytest.fixture
def posted(world, client, token_for) -> Posted:
    return publicise(world, client, token_for)


def comment(client, notice_id: int, **body):
    return client.post(f"/api/v1/notices/{notice_id}/comments", body, content_type="application/json")


def _streams(data: bytes) -> list[bytes]:
    """A PDF's content streams, inflated (reportlab compresses them, sometimes ASCII85 first)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        stream = stream.strip()
        try:
            raw = zlib.decompress(stream)
        except zlib.error:
            try:
                raw = zlib.decompress(_ascii85(stream))
            except (zlib.error, ValueError):
                raw = stream
        out.append(raw)
    return out


def pdf_text(data: bytes) -> str:
    """The text drawn on a PDF page: reportlab writes a CID font's text as UTF-16BE literal strings
    inside (compressed) content streams; inflate each stream and decode its `(…) Tj` strings."""
    out = []
    for raw in _streams(data):
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", raw, re.S):
            out.append(_literal(literal).decode("utf-16-be", errors="replace"))
    return "".join(out)


def pdf_rectangles(data: bytes) -> int:
    """How many rectangles the PDF's pages draw (`re` operators): a QR code is drawn as its modules."""
    return sum(len(re.findall(rb"\sre\b", raw)) for raw in _streams(data))


def _ascii85(stream: bytes) -> bytes:
    import base64

    body = stream.strip()
    if body.endswith(b"~>"):
        body = body[:-2]
    return base64.a85decode(body, adobe=False)


def _literal(raw: bytes) -> bytes:
    """A PDF literal string's bytes: backslash escapes, octal codes."""
    out, i = bytearray(), 0
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C and i + 1 < len(raw):
            nxt = raw[i + 1]
            if 0x30 <= nxt <= 0x37:
                j = i + 1
                while j < len(raw) and j < i + 4 and 0x30 <= raw[j] <= 0x37:
                    j += 1
                out.append(int(raw[i + 1:j], 8) & 0xFF)
                i = j
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)

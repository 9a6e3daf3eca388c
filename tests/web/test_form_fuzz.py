"""Hypothesis fuzzes the page forms (issue 18, item 4): the public report form (odd text, NULs,
invalid UTF-8, odd and huge images, odd file names, too many photos), the sign-in form, the staff's
registration form and the case page's action forms. Whatever comes in, the answer is never a 5xx:
a bad input is a 400 (or the form again), a good one goes through. Kept to a few dozen examples per
form so the file runs in seconds; the API has its own fuzzing (tests/api/test_api_fuzz.py)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sanshi.cases.models import Case

from ..conftest import PASSWORD
from ..helpers import submit

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# ---- text ------------------------------------------------------------------------------------
# NULs come from their own draw (`with_nul`): in every field they would stop nearly every example at
# the 400 of RejectUnstorableCharactersMiddleware, before the forms and services are reached
ODD_STRINGS = ["", " ", "%00", "\u202e反转", "\ufeff", "\ufffd", "𠀀𠀁𠀂" * 20, "😡" * 30,
               "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "长" * 4001, "a" * 300,
               "13812345678", "T1C1-G01", "\r\n\t", "0", "-1", "99999999999999999999",
               "小区门口的路灯坏了一个星期，晚上很黑"]
ODD_TEXT = st.one_of(st.sampled_from(ODD_STRINGS), st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60))
WITH_NUL = st.sampled_from([False, False, False, True])


def nul_if(with_nul: bool, text: str) -> str:
    return text + "\x00" if with_nul else text


def one_odd(valid: dict) -> st.SearchStrategy[dict]:
    """A form that would go through, with one field (or none) replaced by odd text: odd text in
    every field would stop every example at the first field's validation."""
    return st.tuples(st.sampled_from([None, *valid]), ODD_TEXT).map(
        lambda pick: {**valid, **({pick[0]: pick[1]} if pick[0] else {})})


# ---- images ----------------------------------------------------------------------------------
def _image(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, fmt)
    return buffer.getvalue()


PNG = _image("PNG", (8, 8))
BOMB = _image("PNG", (8000, 6000), "1")  # 48 million pixels in a small file: over SANSHI_MAX_IMAGE_PIXELS
OVERSIZE = PNG + b"\x00" * (5 * 1024 * 1024)  # a valid image padded past the 5 MB limit

IMAGE_BYTES = st.one_of(
    st.sampled_from([PNG, PNG[:40], BOMB, OVERSIZE, b"", b"GIF89a", _image("GIF", (3, 3), "P"),
                     _image("JPEG", (16, 9)), _image("WEBP", (5, 5)), _image("BMP", (2, 2)), _image("TIFF", (4, 4)),
                     b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"]),
    st.binary(max_size=512),
    st.builds(lambda w, h, fmt: _image(fmt, (w, h)), st.integers(1, 64), st.integers(1, 64),
              st.sampled_from(["PNG", "JPEG", "GIF"])),
)
FILE_NAMES = st.sampled_from(["photo.jpg", "照片.png", "a.svg", "../../x.png", "a\x00.png", "x" * 300 + ".jpg",
                              "no-extension", ".png", "a.php.jpg", "photo.jpg", "照片.png"])
PHOTOS = st.one_of(st.just([]), st.just([("photo.png", PNG, "image/png")]), st.lists(st.tuples(FILE_NAMES, IMAGE_BYTES, st.sampled_from(
    ["image/png", "image/jpeg", "text/html", "application/octet-stream"])), max_size=7))


def uploads(photos) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content, content_type=kind) for name, content, kind in photos]


def assert_no_server_error(response, *context):
    assert response.status_code < 500, (response.status_code, *context, response.content[:300])


# ---- the forms ------------------------------------------------------------------------------

def test_the_public_report_form(world):
    client = Client(raise_request_exception=False)

    @given(form=one_odd({"text": "小区门口的路灯坏了一个星期，晚上很黑", "title": "路灯", "address": "鼎城花园3栋",
                         "reporter_name": "张三", "reporter_phone": "13812345678", "grid": "T1C1-G01",
                         "sub_channel": "web"}), photos=PHOTOS, with_nul=WITH_NUL)
    @FUZZ
    def check(form, photos, with_nul):
        response = client.post("/report/", {**form, "text": nul_if(with_nul, form["text"]), "photos": uploads(photos)})
        assert_no_server_error(response, form, [(n[:20], len(c)) for n, c, _ in photos])

    check()


@pytest.mark.parametrize("body", [
    b"text=%ED%A0%80%ED%A0%80&sub_channel=web",  # a lone surrogate, UTF-8-encoded: invalid UTF-8
    b"text=%FF%FE%FD&sub_channel=web&grid=%C0%80",  # bytes that are no UTF-8 at all, an overlong NUL
    b"text=\xed\xa0\x80\xff&sub_channel=web",  # the same, unencoded
])
def test_the_report_form_with_invalid_utf8(world, body):
    response = Client(raise_request_exception=False).post(
        "/report/", body, content_type="application/x-www-form-urlencoded")
    assert_no_server_error(response, body)


def test_the_sign_in_form(world):
    client = Client(raise_request_exception=False)

    @given(username=st.one_of(ODD_TEXT, st.just("operator")), password=st.one_of(ODD_TEXT, st.just(PASSWORD)),
           next_=st.one_of(ODD_TEXT, st.sampled_from(["//evil.example.com/", "https://evil.example.com/", "/staff/"])),
           with_nul=WITH_NUL)
    @FUZZ
    def check(username, password, next_, with_nul):
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": nul_if(with_nul, password),
                                                    "next": next_})
        assert_no_server_error(response, username[:50], next_[:50])
        if response.status_code == 302:
            assert "evil" not in response["Location"]

    check()
    raw = client.post("/accounts/login/", b"username=%ED%A0%80&password=%00", content_type="application/x-www-form-urlencoded")
    assert_no_server_error(raw)


def test_the_staff_registration_form(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.grid_worker)

    @given(form=one_odd({"text": "楼道里堆满杂物，消防通道被堵", "address": "鼎城花园5栋", "reporter_name": "李四",
                         "reporter_phone": "13912345678", "grid": world.grid.code, "sub_channel": "grid_patrol"}),
           photos=PHOTOS, with_nul=WITH_NUL)
    @FUZZ
    def check(form, photos, with_nul):
        response = client.post("/staff/submit/", {**form, "text": nul_if(with_nul, form["text"]),
                                                   "photos": uploads(photos)})
        assert_no_server_error(response, form)

    check()


ACTIONS = ["triage", "merge", "deliberate", "resolve", "whistle", "department_report", "publicise",
           "request_evaluation", "evaluate", "dispatch", "reveal", "withdraw", "", "no-such-action"]
FIELDS = ["kind", "catalogue_code", "grid", "reason", "urgent", "department", "meeting", "resolution", "votes_for",
          "votes_against", "note", "report", "result", "notice", "rating", "comment", "into", "request", "team",
          "police"]
FIELD_VALUES = st.one_of(ODD_TEXT, st.sampled_from(["PUBLIC", "SHARED", "HOUSEHOLD", "P01", "S5", "H2", "1", "0",
                                                    "good", "bad", "ZJ", "auto", "T1C1-G01"]))


def test_the_case_page_action_forms(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.operator)
    code = submit(client, text="小区门口路灯坏了一个星期", grid="T1C1-G01", reporter_phone="13812345678").json()
    other = submit(client, text="小区门口路灯坏了好几天了", grid="T1C1-G01").json()
    cases = [Case.objects.get(requests__tracking_code=c["tracking_code"]).pk for c in (code, other)]

    sensible = {"kind": "SHARED", "catalogue_code": "S5", "reason": "按清单分拣", "resolution": "议定由物业维修",
                "result": "已修好", "notice": "公示：路灯已修好", "rating": "good", "comment": "满意", "note": "请协助",
                "report": "已派人查看", "into": str(cases[1]), "request": "1", "votes_for": "5", "votes_against": "0"}

    @given(case=st.sampled_from(cases), action=st.sampled_from(ACTIONS),
           fields=st.one_of(one_odd(sensible), st.dictionaries(st.sampled_from(FIELDS), FIELD_VALUES, max_size=6)),
           departments=st.lists(FIELD_VALUES, max_size=3), with_nul=WITH_NUL)
    @FUZZ
    def check(case, action, fields, departments, with_nul):
        response = client.post(f"/staff/cases/{case}/", {"action": nul_if(with_nul, action), **fields,
                                                         "departments": departments})
        assert_no_server_error(response, action, fields)

    check()

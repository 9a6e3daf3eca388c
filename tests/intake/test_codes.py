"""Tracking codes (a resident's credential) and case numbers: symbols that read out clearly on the
phone, drawn from the secure random source, each symbol equally likely."""

import re
from collections import Counter

from sanshi.core.crypto import CODE_ALPHABET, random_code
from sanshi.intake.models import Request

from ..helpers import submit


def test_a_submitted_request_gets_a_readable_tracking_code_and_case_number(world, client):
    response = submit(client, text="小区门口的路灯坏了半个月，晚上出入很不方便。", grid="T1C1-G01", channel="web")

    request = Request.objects.get(pk=response.json()["id"])
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", request.tracking_code)
    assert response.json()["tracking_code"] == request.tracking_code
    assert re.fullmatch(r"\d{8}-[A-HJ-NP-Z2-9]{6}", request.case.number)


def test_codes_use_every_symbol_about_equally_and_do_not_repeat():
    codes = [random_code(10) for _ in range(3200)]
    symbols = Counter("".join(codes))

    assert len(set(codes)) == len(codes)
    assert set(symbols) == set(CODE_ALPHABET) and len(CODE_ALPHABET) == 32
    # 32,000 symbols: 1,000 expected each; a fair draw stays well within ±20 % (about 6 sigma)
    assert all(800 < n < 1200 for n in symbols.values()), symbols
    # and so does every position of the code (a fixed bit would show here)
    for i in range(10):
        at = Counter(code[i] for code in codes)
        assert len(at) == 32 and max(at.values()) < 200, (i, at)

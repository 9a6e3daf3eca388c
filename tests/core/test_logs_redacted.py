"""Logs never hold a phone number, an ID number, a password or a token. The output is read from the
handlers the settings configure (the root logger's), at DEBUG, during a full pipeline, a failed
sign-in whose user name is a phone number, and a token issue."""

import io
import logging

import pytest
from django.conf import settings

from sanshi.core.logging import RedactPersonalData

from ..cases.test_pipeline_e2e import (
    test_household_matter_bad_rating_escalates_then_closes as household_pipeline,
)
from ..conftest import PASSWORD

PHONE, ID_NUMBER, WRONG_PASSWORD = "13812345678", "11010519491231002X", "Wrong-pass-2026"


@pytest.fixture
def log_output():
    """Point every handler on the root logger at one buffer (keeping its filters) at DEBUG."""
    root = logging.getLogger()
    configured = [h for h in root.handlers if h.name in settings.LOGGING["root"]["handlers"]]
    assert configured, "settings LOGGING configures the root logger's handlers"
    buffer = io.StringIO()
    saved = [(h, getattr(h, "stream", None), h.level) for h in configured]
    saved_level = root.level
    for handler in configured:
        handler.setLevel(logging.DEBUG)
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(buffer)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.setLevel(saved_level)
    for handler, stream, level in saved:
        handler.setLevel(level)
        if stream is not None:
            handler.setStream(stream)


def test_every_root_handler_redacts():
    handlers = settings.LOGGING["root"]["handlers"]
    for name in handlers:
        assert "redact" in settings.LOGGING["handlers"][name].get("filters", []), name
    for handler in [h for h in logging.getLogger().handlers if h.name in handlers]:
        assert any(isinstance(f, RedactPersonalData) for f in handler.filters), handler


def test_no_phone_id_number_password_or_token_in_the_logs(world, client, token_for, log_output):
    household_pipeline(world, client, token_for)
    client.post("/api/v1/requests", {"text": f"身份证号{ID_NUMBER}，电话{PHONE}，邻居噪音", "grid": "T1C1-G01",
                                     "reporter_phone": PHONE}, content_type="application/json")
    # a failed sign-in where the phone number was typed as the user name (axes logs the name)
    failed = client.post("/api/v1/auth/token", {"username": PHONE, "password": WRONG_PASSWORD},
                         content_type="application/json")
    assert failed.status_code == 401
    client.post("/accounts/login/", {"username": ID_NUMBER, "password": WRONG_PASSWORD})
    issued = client.post("/api/v1/auth/token", {"username": world.operator.username, "password": PASSWORD},
                         content_type="application/json")
    token = issued.json()["token"]
    client.get("/api/v1/cases/999999", HTTP_AUTHORIZATION=f"Bearer {token}")  # a 404 is logged with its path
    # and something that would log them outright
    logging.getLogger("sanshi.test").warning("reporter %s, id %s, Authorization: Bearer %s", PHONE, ID_NUMBER, token)

    text = log_output.getvalue()
    assert "sanshi.test" in text and "[电话已隐去]" in text  # the capture sees the log output
    for secret in (PHONE, ID_NUMBER, WRONG_PASSWORD, PASSWORD, token):
        assert secret not in text, secret

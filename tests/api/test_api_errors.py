"""An API error never answers Django's HTML page: the documented `{"detail", "errors"}`, a 500 and
ninja's own refusals (429) included."""

import logging

import pytest
from django.test import Client


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # a 500 must show as a 500, not as the test's exception


def test_an_unexpected_error_in_the_api_answers_the_documented_json(db, client, monkeypatch, caplog):
    def broken():
        raise RuntimeError("the catalogue table went away\nsecond line")

    monkeypatch.setattr("sanshi.catalog.api.current_items", broken)
    with caplog.at_level(logging.ERROR, logger="sanshi.api"):
        response = client.get("/api/v1/catalogue")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "服务器内部错误，请稍后再试；如持续出现请联系管理员", "errors": {}}
    assert "went away" not in response.content.decode()  # the cause stays in the log
    [record] = [r for r in caplog.records if r.name == "sanshi.api"]
    line = record.getMessage()
    assert "RuntimeError" in line and "/api/v1/catalogue" in line and "\n" not in line
    assert record.exc_info is None  # one line: no traceback


def test_ninja_refusals_answer_the_documented_json(db, client, settings):
    settings.SANSHI_RATE_ANON = "1/min"
    client.get("/api/v1/catalogue", REMOTE_ADDR="10.9.9.9")
    limited = client.get("/api/v1/catalogue", REMOTE_ADDR="10.9.9.9")
    assert limited.status_code == 429 and limited.json() == {"detail": "请求过于频繁，请稍后再试", "errors": {}}

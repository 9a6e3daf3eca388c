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


def test_a_path_that_names_no_operation_answers_a_json_404(db, client):
    for path in ("/api/v1/no-such-thing", "/api/v1/catalogue/", "/api/v2/catalogue"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"].startswith("application/json"), path
        assert response.json() == {"detail": "接口不存在，请核对地址和版本号（接口说明见 /api/v1/docs）", "errors": {}}
    page = client.get("/staff/no-such-page/")  # pages keep Django's HTML 404
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_method_the_operation_does_not_take_answers_a_json_405_naming_the_allowed_ones(db, client):
    response = client.delete("/api/v1/catalogue")
    assert response.status_code == 405 and response["Content-Type"].startswith("application/json")
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": "该接口不支持此请求方法，可用的方法：GET", "errors": {}}


@pytest.mark.parametrize("body", ['{"text": "路灯坏了", '.encode(), b'{"text": "\xff\xfe"}', b"text=abc"])
def test_a_body_that_is_not_json_answers_a_chinese_400_on_the_body(db, client, body):
    response = client.post("/api/v1/requests", body, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    message = "请求内容不是有效的 JSON（UTF-8 编码），请检查引号、逗号和括号后重试"
    assert response.json() == {"detail": message, "errors": {"body": message}}

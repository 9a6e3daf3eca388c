"""A refusal is logged as one line (issue 18, item 3): every 403 was logged by `django.request` with
a full traceback, a dozen lines per refused page. Refusals (4xx from `django.request` and
`django.security.*`) now keep one line naming the exception; a 500 keeps its traceback. Read from
the handlers the settings configure, like tests/core/test_logs_redacted.py."""

import pytest
from django.test import Client

from ..conftest import PASSWORD
from .test_logs_redacted import log_output  # noqa: F401 — the fixture


@pytest.fixture
def signed_in_worker(world):
    client = Client(raise_request_exception=False)
    assert client.login(username=world.grid_worker.username, password=PASSWORD)
    return client


def lines_about(output: str, path: str) -> list[str]:
    return [line for line in output.splitlines() if path in line]


def test_a_forbidden_page_is_one_line_naming_the_refusal(signed_in_worker, log_output):  # noqa: F811
    assert signed_in_worker.get("/staff/command/").status_code == 403
    output = log_output.getvalue()
    [line] = lines_about(output, "/staff/command/")
    assert "Forbidden" in line and "PermissionDenied: 指挥中心页面只对指挥中心接线员和街道干部开放" in line
    assert "Traceback" not in output


def test_a_suspicious_request_is_one_line(db, log_output):  # noqa: F811
    response = Client(raise_request_exception=False).get("/report/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    output = log_output.getvalue()
    assert "Invalid HTTP_HOST header" in output and "DisallowedHost" in output
    assert "Traceback" not in output


def test_a_server_error_keeps_its_traceback(db, log_output, monkeypatch):  # noqa: F811
    def broken(*args, **kwargs):
        raise RuntimeError("the template engine went away")

    monkeypatch.setattr("sanshi.intake.views.render", broken)
    assert Client(raise_request_exception=False).get("/track/").status_code == 500
    output = log_output.getvalue()
    assert "Traceback" in output and "RuntimeError: the template engine went away" in output

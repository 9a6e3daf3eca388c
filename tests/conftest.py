import io
import logging
import os
import re
import shutil

import pytest
from django.db import connection

from sanshi.accounts.models import User
from sanshi.catalog.services import ensure_catalogue
from sanshi.registry.models import CommunityType, Department, GridType, Level, Role, StaffRole
from sanshi.registry.services import node_create

PASSWORD = "Test-pass-2026"


def require_or_skip(available: bool, flag: str, reason: str) -> None:
    """Skip with a printed reason on a machine that lacks a system part, unless CI set `flag`."""
    if available:
        return
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} — and {flag}=1 forbids skipping")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    require_or_skip(bool(path), "SANSHI_REQUIRE_CHROMIUM", "Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
def browser(chromium_path, monkeypatch):
    """Debian's Chromium driven by Playwright's sync API (never a downloaded browser)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls in the test are
    # still synchronous and safe, so tell Django (as pytest-playwright's docs advise).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()
        # With that loop running, the test's ORM calls got connections of their own (Django keeps
        # them per context); close them here, in the same context, or PostgreSQL refuses to drop
        # the test database at the end ("being accessed by other users")
        connections.close_all()


@pytest.fixture
def postgres_only(db):
    require_or_skip(connection.vendor == "postgresql", "SANSHI_REQUIRE_POSTGRES",
                    "this test needs PostgreSQL (run with DATABASE_URL=postgres://…)")


class World:
    """A small district: one street with two communities, grids and a person in every role."""

    def __init__(self):
        ensure_catalogue()
        self.district = node_create(code="T", name="测试区", level=Level.DISTRICT)
        self.street = node_create(code="T1", name="鼎山街道", level=Level.STREET, parent=self.district)
        self.other_street = node_create(code="T2", name="城子街道", level=Level.STREET, parent=self.district)
        self.community = node_create(code="T1C1", name="东门社区", level=Level.COMMUNITY, parent=self.street,
                                     community_type=CommunityType.URBAN)
        self.sibling_community = node_create(code="T1C2", name="艾坪村", level=Level.COMMUNITY,
                                             parent=self.street, community_type=CommunityType.RURAL)
        self.grid = node_create(code="T1C1-G01", name="鼎城花园网格", level=Level.GRID, parent=self.community,
                                grid_type=GridType.RESIDENTIAL, households=66, address="鼎城花园")
        self.sibling_grid = node_create(code="T1C2-G01", name="一组网格", level=Level.GRID,
                                        parent=self.sibling_community, households=58, address="艾坪村一组")
        self.other_grid_community = node_create(code="T2C1", name="七棵树东街社区", level=Level.COMMUNITY,
                                                parent=self.other_street)
        self.other_grid = node_create(code="T2C1-G01", name="七棵树网格", level=Level.GRID,
                                      parent=self.other_grid_community, address="七棵树东街")
        self.zj = Department.objects.get(code="ZJ")
        self.cg = Department.objects.get(code="CG")
        self.operator = self.staff("operator", Role.OPERATOR, self.street)
        self.street_officer = self.staff("street", Role.STREET_OFFICER, self.street)
        self.secretary = self.staff("secretary", Role.COMMUNITY_SECRETARY, self.community)
        self.grid_worker = self.staff("gridworker", Role.GRID_WORKER, self.grid)
        self.grid_leader = self.staff("gridleader", Role.GRID_LEADER, self.grid)
        self.supervisor = self.staff("supervisor", Role.DEMOCRATIC_SUPERVISOR, self.street)
        self.committee = self.staff("committee", Role.SUPERVISION_COMMITTEE, self.community)
        self.congress = self.staff("congress", Role.PEOPLES_CONGRESS, self.street)
        self.liaison_zj = self.staff("liaison-zj", Role.DEPARTMENT_LIAISON, self.district, department=self.zj)
        self.liaison_cg = self.staff("liaison-cg", Role.DEPARTMENT_LIAISON, self.district, department=self.cg)
        self.other_operator = self.staff("other-operator", Role.OPERATOR, self.other_street)
        self.district_officer = self.staff("district", Role.DISTRICT_OFFICER, self.district)
        self.hotline = self.staff("hotline", Role.INTAKE_CLIENT, self.district)  # a 12345 system's account
        self.sibling_worker = self.staff("sibling-worker", Role.GRID_WORKER, self.sibling_grid)

    def staff(self, username, role, node, department=None) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
        StaffRole.objects.create(user=user, role=role, node=node, department=department)
        return user


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def token_for(client):
    def issue(user) -> dict:
        response = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


# ---- the logs of the whole test run hold no personal data -------------------------------------
# Every record that reaches the root logger during the run is also written, through the same
# filters as the configured console handler, to a buffer that is scanned when the run ends; a
# phone number, ID number, test password or bearer token in it fails the run.
_RUN_LOG = io.StringIO()
_SECRETS = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|"
                      + re.escape(PASSWORD) + r"|Bearer\s+(?!\[)[A-Za-z0-9._~+/=-]{16,}")


def _run_log_handler() -> logging.Handler:
    from django.conf import settings

    from sanshi.core.logging import RedactPersonalData

    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
    handler = logging.StreamHandler(_RUN_LOG)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactPersonalData())  # the same filter the configured console handler has
    return handler


_RUN_HANDLER: list[logging.Handler] = []


@pytest.fixture(autouse=True)
def _scan_the_logs_of_this_test():
    """Keep the run-log handler on the root logger (importing the WSGI app re-applies LOGGING,
    which replaces the root logger's handlers)."""
    if not _RUN_HANDLER:
        _RUN_HANDLER.append(_run_log_handler())
    root = logging.getLogger()
    if _RUN_HANDLER[0] not in root.handlers:
        root.addHandler(_RUN_HANDLER[0])
    yield


def pytest_sessionfinish(session, exitstatus):
    leaks = sorted({m.group(0) for m in _SECRETS.finditer(_RUN_LOG.getvalue())})
    if leaks:
        print(f"\nPERSONAL DATA IN LOGS of this test run: {len(leaks)} distinct values, e.g. {leaks[:3]}")
        session.exitstatus = 1
    else:
        print(f"\nlog scan: {len(_RUN_LOG.getvalue().splitlines())} log lines of this run hold no phone, ID, "
              "password or token")

"""uWSGI never serves as root (issue 18, item 3: it did). Started as root under the production
settings it switches master and workers to SANSHI_UWSGI_USER:SANSHI_UWSGI_GROUP, nobody:nogroup by
default, before the app is loaded; under the development settings (`make run`) it keeps the user
that started it, so the SQLite file under var/ stays writable. Each case starts uwsgi.ini on a
loopback port with a probe app (the real app would need a production database) that answers the
worker's uid and gid."""

import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import require_or_skip

PROJECT = Path(__file__).resolve().parents[2]
PROBE = '''import os
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getuid()} {os.getgid()}".encode()]
'''


@pytest.fixture(scope="module")
def probe_dir():
    require_or_skip(os.geteuid() == 0, "SANSHI_REQUIRE_ROOT", "dropping privileges needs a uWSGI started as root")
    directory = Path(tempfile.mkdtemp(prefix="sanshi-uwsgi-probe-"))
    directory.chmod(0o755)  # readable by the user uWSGI switches to
    (directory / "privilege_probe.py").write_text(PROBE)
    (directory / "privilege_probe.py").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    yield directory
    for child in directory.iterdir():
        child.unlink()
    directory.rmdir()


def serve_and_ask(probe_dir: Path, **env: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DJANGO_SETTINGS_MODULE", "SANSHI_UWSGI_USER", "SANSHI_UWSGI_GROUP")}
    environment.update(env)
    uwsgi = Path(sys.executable).parent / "uwsgi"
    server = subprocess.Popen([str(uwsgi), "--ini", str(PROJECT / "uwsgi.ini"), "--module", "privilege_probe:application",
                               "--pythonpath", str(probe_dir), "--http-socket", f"127.0.0.1:{port}",
                               "--processes", "1"], cwd=probe_dir, env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):  # at most about 10 s
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:  # noqa: S310
                    return answer.read().decode()
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        server.terminate()
        raise AssertionError(server.communicate(timeout=10)[0].decode(errors="replace")[-2000:])
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)


def test_production_started_as_root_serves_as_nobody(probe_dir):
    assert serve_and_ask(probe_dir, DJANGO_SETTINGS_MODULE="sanshi.settings.production") == "65534 65534"


def test_the_user_and_group_come_from_the_environment(probe_dir):
    answer = serve_and_ask(probe_dir, DJANGO_SETTINGS_MODULE="sanshi.settings.production",
                           SANSHI_UWSGI_USER="daemon", SANSHI_UWSGI_GROUP="daemon")
    assert answer == "1 1"


def test_development_keeps_the_user_that_started_it(probe_dir):
    assert serve_and_ask(probe_dir) == "0 0"  # make run: no settings module in the environment

"""uwsgi.ini sizes its listen queue (issue 19: uWSGI's default of 100 overflowed at 200 clients,
"listen queue full", and clients waited 15 s to connect): 1024, or SANSHI_UWSGI_LISTEN. Each case
starts uwsgi.ini on a loopback port with a probe app and reads the backlog uWSGI set on its socket."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PROBE = '''def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''


def start_and_read_backlog(tmp_path: Path, **env: str) -> tuple[int | None, str]:
    """Start uwsgi.ini, wait until it answers, stop it; return the listen backlog it reported and its log."""
    (tmp_path / "listen_probe.py").write_text(PROBE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SANSHI_UWSGI_LISTEN")}
    environment.update(env)
    server = subprocess.Popen([str(Path(sys.executable).parent / "uwsgi"), "--ini", str(PROJECT / "uwsgi.ini"),
                               "--module", "listen_probe:application", "--pythonpath", str(tmp_path),
                               "--http-socket", f"127.0.0.1:{port}", "--processes", "1"],
                              cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):  # at most about 10 s
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):  # noqa: S310
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
    finally:
        if server.poll() is None:
            server.terminate()
        log = server.communicate(timeout=10)[0].decode(errors="replace")
    found = re.search(r"listen backlog is limited to (\d+) connections", log)
    return (int(found.group(1)) if found else None), log


def test_the_listen_queue_holds_1024_connections_by_default(tmp_path):
    backlog, log = start_and_read_backlog(tmp_path)
    assert backlog == 1024, log[-2000:]


def test_the_listen_queue_comes_from_the_environment(tmp_path):
    backlog, log = start_and_read_backlog(tmp_path, SANSHI_UWSGI_LISTEN="300")
    assert backlog == 300, log[-2000:]

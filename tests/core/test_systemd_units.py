"""The systemd units in deploy/ (issue 19): the web server (uWSGI with uwsgi.ini) and the worker are
brought back after any crash (`Restart=always`), run as the unprivileged user `sanshi`, and read
their settings from one EnvironmentFile. Read with a plain parser everywhere; checked by
`systemd-analyze verify` (against a throw-away root holding the paths they name) where it exists."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
UNITS = {"sanshi-web.service": "uwsgi", "sanshi-worker.service": "sanshi"}
APP_DIR = "/opt/sanshi"  # where deploy/README.md installs the repository and its .venv


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file: sections of `Key=value` lines (a key may repeat); comments and blanks skipped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if m := re.fullmatch(r"\[([A-Za-z]+)\]", line):
            current = sections.setdefault(m.group(1), {})
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep and re.fullmatch(r"[A-Za-z]+", key), f"{path.name}:{number}: {raw!r}"
        current.setdefault(key, []).append(value)
    return sections


@pytest.mark.parametrize("name", sorted(UNITS))
def test_each_unit_runs_as_sanshi_restarts_always_and_reads_the_environment_file(name):
    unit = parse(DEPLOY / name)
    service = unit["Service"]
    assert service["User"] == ["sanshi"] and service["Group"] == ["sanshi"]
    assert service["Restart"] == ["always"] and unit["Unit"]["StartLimitIntervalSec"] == ["0"]
    assert service["EnvironmentFile"] == ["/etc/sanshi/sanshi.env"]
    assert service["WorkingDirectory"] == [APP_DIR] and service["NoNewPrivileges"] == ["yes"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    [command] = service["ExecStart"]
    program = command.split()[0]
    assert program == f"{APP_DIR}/.venv/bin/{UNITS[name]}"
    assert (Path(sys.executable).parent / UNITS[name]).exists()  # the venv `make setup` builds has it


def test_the_web_unit_starts_uwsgi_with_the_projects_ini_and_the_worker_unit_the_worker():
    web = parse(DEPLOY / "sanshi-web.service")["Service"]["ExecStart"][0].split()
    assert web[1:3] == ["--ini", f"{APP_DIR}/uwsgi.ini"] and (PROJECT / "uwsgi.ini").exists()
    assert "127.0.0.1:8000" in web  # behind the reverse proxy, never on every interface
    worker = parse(DEPLOY / "sanshi-worker.service")["Service"]
    assert worker["ExecStart"] == [f"{APP_DIR}/.venv/bin/sanshi worker"]
    assert worker["Environment"] == ["PGAPPNAME=sanshi-worker"]  # its backends are named in pg_stat_activity


def test_the_environment_file_example_names_settings_that_exist():
    settings_text = "".join(p.read_text() for p in (PROJECT / "sanshi" / "settings").glob("*.py"))
    keys = [line.split("=", 1)[0] for line in (DEPLOY / "sanshi.env.example").read_text().splitlines()
            if line and not line.startswith("#")]
    assert "DJANGO_SETTINGS_MODULE=sanshi.settings.production" in (DEPLOY / "sanshi.env.example").read_text()
    unknown = [k for k in keys if k != "DJANGO_SETTINGS_MODULE" and f'"{k}"' not in settings_text]
    assert unknown == []


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the plain parse above still ran
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)  # targets it needs
    for name, program in UNITS.items():
        shutil.copy(DEPLOY / name, root / "etc/systemd/system" / name)
        binary = root / f"{APP_DIR.lstrip('/')}/.venv/bin/{program}"
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    (root / "etc/sanshi").mkdir()
    (root / "etc/sanshi/sanshi.env").write_text((DEPLOY / "sanshi.env.example").read_text())
    result = subprocess.run([analyze, "verify", f"--root={root}", *UNITS], capture_output=True, text=True,
                            timeout=60)
    # systemd reports a key it does not know or a value it cannot parse on stderr and goes on
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr

"""`sanshi check --deploy` under production settings reports nothing (a fresh database)."""

import base64
import os
import secrets
import subprocess
import sys


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(60),
           "SANSHI_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           "SANSHI_AUDIT_ANCHOR_KEY": secrets.token_urlsafe(32),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "ALLOWED_HOSTS": "sanshi.example.gov.cn",
           "CACHE_URL": "dbcache://sanshi_cache"}
    run = [sys.executable, "-m", "sanshi"]
    subprocess.run([*run, "migrate", "-v", "0"], env=env, check=True, capture_output=True, timeout=300)
    result = subprocess.run([*run, "check", "--deploy", "--fail-level", "WARNING"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_a_default_secret(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.production", "SECRET_KEY": "",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    env.pop("SECRET_KEY")
    result = subprocess.run([sys.executable, "-m", "sanshi", "check"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_migrate_alone_creates_the_shared_cache_table_and_the_api_answers(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}", "CACHE_URL": "dbcache://sanshi_cache"}
    run = [sys.executable, "-m", "sanshi"]
    subprocess.run([*run, "migrate", "-v", "0"], env=env, check=True, capture_output=True, timeout=300)
    probe = ("from django.test import Client; r = Client().get('/api/v1/catalogue'); "
             "print(r.status_code, len(r.json()))")
    result = subprocess.run([*run, "shell", "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "200 24", result.stdout + result.stderr


def test_production_refuses_a_per_process_cache(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.production",
           "SECRET_KEY": secrets.token_urlsafe(60),
           "SANSHI_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "CACHE_URL": "locmemcache://"}
    result = subprocess.run([sys.executable, "-m", "sanshi", "check"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "CACHE_URL" in result.stderr


def test_the_wsgi_module_has_every_route_loaded_before_the_first_request(tmp_path):
    """The uWSGI master imports `sanshi.wsgi` once and forks: the views and the API's routes are
    loaded there, so no worker builds them while a resident waits for its first answer."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
           "SANSHI_TRIAGE_MODEL_PATH": str(tmp_path / "no-model.joblib")}
    probe = ("import sys, sanshi.wsgi; "
             "print(all(m in sys.modules for m in ('sanshi.urls', 'sanshi.api.api', 'sanshi.web.views')))")
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stdout + result.stderr



def find_python(env=None):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.run(["/bin/sh", "tools/find-python"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)


def test_setup_picks_the_first_python_that_can_build_the_venv(tmp_path):
    """tools/find-python (what `make setup` builds .venv with) skips an interpreter that is too old
    or lacks venv, takes the first good one, and says in Chinese what is missing when none is."""
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\nexit 1\n")  # fails the version-and-venv probe, as Python 3.9 would
    old.chmod(0o755)
    picked = find_python({**os.environ, "SANSHI_PYTHON_CANDIDATES": f"{old} {sys.executable}"})
    assert picked.returncode == 0 and picked.stdout.strip() == sys.executable

    refused = find_python({**os.environ, "SANSHI_PYTHON_CANDIDATES": str(old)})
    assert refused.returncode == 1 and refused.stdout == ""
    assert "需要 Python ≥ 3.11" in refused.stderr

    probe = "import sys, venv, ensurepip; print(sys.version_info >= (3, 11))"
    chosen = find_python().stdout.strip()
    assert subprocess.run([chosen, "-c", probe], capture_output=True, text=True, timeout=60).stdout.strip() == "True"

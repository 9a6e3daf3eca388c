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
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "ALLOWED_HOSTS": "sanshi.example.gov.cn"}
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

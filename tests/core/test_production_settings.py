"""Production settings refuse to start on what would quietly weaken them (issue 18, item 3): a
SECRET_KEY that is short, made of few distinct characters (40 × "a" passed) or the development
default, and SANSHI_REQUIRE_OTP=false (it started without a word). Each case imports the
production settings module in a fresh interpreter with the environment it names."""

import base64
import os
import secrets
import subprocess
import sys

import pytest


def import_production(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SANSHI_", "SECRET_KEY"))}
    environment.update({
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SANSHI_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SANSHI_AUDIT_ANCHOR_KEY": secrets.token_urlsafe(32),
        "CACHE_URL": "dbcache://sanshi_cache", "DATABASE_URL": "sqlite:////tmp/never-opened.sqlite3",
        "ALLOWED_HOSTS": "sanshi.example.gov.cn",
    })
    environment.update(env)
    return subprocess.run([sys.executable, "-c", "import sanshi.settings.production as s; print(s.SANSHI_REQUIRE_OTP)"],
                          env=environment, capture_output=True, text=True, timeout=60)


def test_a_strong_configuration_starts_with_the_second_factor_on():
    result = import_production()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize("key", [
    "a" * 40,  # long enough, one character: passed the old rule
    "abcdefghij" * 6,  # ten distinct characters
    "dev-only-insecure-key-change-me",  # the development default
    "dev-only-" + secrets.token_urlsafe(40),  # anything marked for development
    secrets.token_urlsafe(40)[:39],  # random but short
], ids=["forty-a", "ten-distinct", "dev-default", "dev-prefix", "39-random"])
def test_a_weak_secret_key_is_refused_in_chinese_and_english(key):
    result = import_production(SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr
    assert "生产环境必须设置足够随机的 SECRET_KEY" in result.stderr and "40+ characters" in result.stderr


@pytest.mark.parametrize("value", ["false", "0", "off"])
def test_turning_the_second_factor_off_is_refused(value):
    result = import_production(SANSHI_REQUIRE_OTP=value)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert "生产环境不能关闭动态口令" in result.stderr and "SANSHI_REQUIRE_OTP=false is refused" in result.stderr

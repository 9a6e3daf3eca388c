"""Headers that tell the browser what the site's pages may do (issue 18, item 3): a
Content-Security-Policy without inline script (its pages are checked in Chromium by
tests/web/test_csp_browser.py) and a Permissions-Policy that turns camera, microphone, location
and payment off — on the pages and the API alike."""

import pytest


@pytest.mark.parametrize("path", ["/", "/report/", "/accounts/login/", "/api/v1/catalogue"])
def test_every_answer_turns_off_the_features_no_page_uses(db, client, path):
    header = client.get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in header


@pytest.mark.parametrize("path", ["/", "/report/", "/accounts/login/"])
def test_every_page_allows_scripts_from_the_site_only(db, client, path):
    policy = dict(part.strip().split(" ", 1) for part in client.get(path)["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["base-uri"] == "'self'"


def test_no_template_has_an_inline_script_or_handler():
    """The policy would block them: a new one must go into a file under sanshi/static/."""
    import re
    from pathlib import Path

    import sanshi

    inline = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|\son[a-z]+\s*=|javascript:",
                        re.IGNORECASE)
    found = [f"{path}: {match.group(0)}" for path in Path(sanshi.__file__).parent.rglob("*.html")
             for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert found == []

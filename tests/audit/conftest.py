import pytest


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    """Each test anchors into a file of its own (never var/audit-anchor.jsonl)."""
    path = tmp_path / "audit-anchor.jsonl"
    settings.SANSHI_AUDIT_ANCHOR_FILE = str(path)
    return path

"""Backup and restore (issue 19): `sanshi backup DIR` copies the database, the photos and the triage model
with a signed manifest; `sanshi restore DIR` loads them into an empty database, checks them against the
manifest and anchors "restored to head H", so `sanshi audit verify` passes and names the restore.

The backup runs here, on the suite's database; each restore runs as an operator runs it — `sanshi
restore` in a new process whose DATABASE_URL names a new, empty database (a file on SQLite; on
PostgreSQL a database the test creates and drops) — and so does the `audit verify` after it. Refusals
that come before anything is written are checked here against the suite's own (non-empty) database."""

import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from PIL import Image

from sanshi.audit import anchor
from sanshi.audit.backup import MANIFEST, table_counts
from sanshi.audit.services import audit_anchor_sweep, audit_record
from sanshi.cases.models import Case
from sanshi.core.crypto import decrypt
from sanshi.intake.models import Photo, Request

from ..audit.test_audit import tamper
from ..helpers import act, submit

PHONE = "13912345678"
FIELD_KEY = "backup-test-field-key-" + "k" * 32
ANCHOR_KEY = "backup-test-anchor-key-" + "a" * 32
MODEL_BYTES = b"a triage model, as far as a backup can tell"
MODEL_INFO = {"version": "test-model-1", "report": {}}

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # backup reads committed rows


@pytest.fixture
def source(settings, tmp_path):
    """Where the backed-up site keeps its keys, photos, model and anchors (never var/)."""
    settings.SANSHI_FIELD_KEY = FIELD_KEY
    settings.SANSHI_AUDIT_ANCHOR_KEY = ANCHOR_KEY
    settings.MEDIA_ROOT = tmp_path / "source-media"
    settings.SANSHI_TRIAGE_MODEL_PATH = str(tmp_path / "source-model" / "triage.joblib")
    settings.SANSHI_AUDIT_ANCHOR_FILE = str(tmp_path / "source-anchor.jsonl")
    return tmp_path


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def district(source, world, client, token_for):
    """A request with a reporter's phone, triaged (an audited move), and one with a photo; then a model."""
    created = submit(client, text="小区物业费上涨，服务越来越差", grid="T1C1-G01", reporter_name="王小明",
                     reporter_phone=PHONE).json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S2")
    posted = client.post("/report/", {"text": "楼道里堆满杂物，堵住了消防通道", "sub_channel": "web",
                                      "photos": [SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg")]})
    assert posted.status_code == 302
    model = Path(settings.SANSHI_TRIAGE_MODEL_PATH)  # written after the requests: intake would load it
    model.parent.mkdir(parents=True)
    model.write_bytes(MODEL_BYTES)
    model.with_name(model.name + ".json").write_text(json.dumps(MODEL_INFO))
    return Photo.objects.get()


def backed_up(directory: Path) -> dict:
    out = io.StringIO()
    call_command("backup", str(directory), stdout=out)
    assert "备份完成" in out.getvalue()
    return json.loads((directory / MANIFEST).read_text())


def sanshi(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`sanshi …` in a process of its own, configured only by the environment, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "sanshi", *args], capture_output=True, text=True, timeout=600,
                          check=False, env={**os.environ, "DJANGO_SETTINGS_MODULE": "sanshi.settings.dev",
                                            "SECRET_KEY": settings.SECRET_KEY, "SANSHI_FIELD_KEY": FIELD_KEY,
                                            "SANSHI_AUDIT_ANCHOR_KEY": ANCHOR_KEY, **env})


def target(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The restored site: its own database, photo folder, model path and anchor file."""
    return {"DATABASE_URL": database_url, "SANSHI_VAR_DIR": str(tmp_path / "target-var"),
            "SANSHI_MEDIA_ROOT": str(tmp_path / "target-media"),
            "SANSHI_TRIAGE_MODEL_PATH": str(tmp_path / "target-model" / "triage.joblib"),
            "SANSHI_AUDIT_ANCHOR_FILE": str(tmp_path / "target-anchor.jsonl")}


def anchors(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_restored(manifest: dict, env: dict[str, str], photo: Photo, counts: dict[str, int], phone: str) -> None:
    """What every good restore leaves: the counts of the source, the phone readable with the same key,
    the photo and the model, and a verify that passes on the restored head and names the restore."""
    with connection.cursor() as cursor:
        assert counts == manifest["database"]["tables"] == table_counts(cursor, connection.vendor)
    assert counts["intake_request"] == 2 and counts["audit_auditentry"] >= 1
    assert phone.startswith("enc1:") and decrypt(phone) == PHONE
    restored_photo = Path(env["SANSHI_MEDIA_ROOT"]) / photo.image.name
    assert restored_photo.read_bytes() == photo.image.read()
    model = Path(env["SANSHI_TRIAGE_MODEL_PATH"])
    assert model.read_bytes() == MODEL_BYTES
    assert json.loads(model.with_name(model.name + ".json").read_text()) == MODEL_INFO
    head = manifest["audit_head"]
    [line] = anchors(Path(env["SANSHI_AUDIT_ANCHOR_FILE"]))
    assert (line["kind"], line["seq"], line["hash"]) == ("restore", head["seq"], head["hash"])
    assert line["source"] == manifest["database"]["label"] and line["backup_at"] == manifest["created_at"]
    verified = sanshi("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"anchor seq {head['seq']} (restore, " in verified.stdout and "restored to this head" in verified.stdout
    assert f"head {head['seq']}:{head['hash']}" in verified.stdout


# --- SQLite --------------------------------------------------------------------------------------------

@transactional
def test_a_backup_restored_into_a_new_sqlite_file_has_the_same_rows_phone_photo_model_and_a_verified_restore(
        district, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path (the PostgreSQL one is below)")
    manifest = backed_up(tmp_path / "backup")
    assert FIELD_KEY not in (tmp_path / "backup" / MANIFEST).read_text()
    assert manifest["field_key"]["source"] == "SANSHI_FIELD_KEY" and manifest["media"]["files"] == 1
    env = target(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")

    restored = sanshi("restore", str(tmp_path / "backup"), env=env)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "恢复完成" in restored.stdout and PHONE not in restored.stdout + restored.stderr
    with closing(sqlite3.connect(tmp_path / "restored.sqlite3")) as db:
        counts = table_counts(db.cursor(), "sqlite")
        [phone] = db.execute("SELECT reporter_phone FROM intake_request WHERE reporter_phone != ''").fetchone()
    assert_restored(manifest, env, district, counts, phone)


@transactional
def test_restore_refuses_a_database_that_is_not_empty_and_writes_nothing(district, tmp_path):
    manifest = backed_up(tmp_path / "backup")
    before = Request.objects.count()

    with pytest.raises(CommandError, match="不是空库") as refused:
        call_command("restore", str(tmp_path / "backup"), stdout=io.StringIO())

    assert "恢复只写入空数据库" in str(refused.value)
    assert Request.objects.count() == before
    assert [a["kind"] for a in anchors(Path(settings.SANSHI_AUDIT_ANCHOR_FILE))] in ([], ["seal"])
    assert manifest["audit_head"] is not None


@transactional
def test_restore_refuses_another_field_key_before_it_writes_anything(district, tmp_path, settings):
    backed_up(tmp_path / "backup")
    settings.SANSHI_FIELD_KEY = "another-field-key-" + "z" * 32

    with pytest.raises(CommandError, match="SANSHI_FIELD_KEY 与备份不符") as refused:
        call_command("restore", str(tmp_path / "backup"), stdout=io.StringIO())

    assert "无法解密" in str(refused.value) and "z" * 32 not in str(refused.value)


@transactional
def test_restore_refuses_a_backup_with_a_changed_byte(district, tmp_path):
    manifest = backed_up(tmp_path / "backup")
    dump = tmp_path / "backup" / manifest["database"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="校验和与清单不符"):
        call_command("restore", str(tmp_path / "backup"), "--check", stdout=io.StringIO())


@transactional
def test_restore_refuses_a_manifest_whose_counts_were_edited(district, tmp_path):
    manifest = backed_up(tmp_path / "backup")
    manifest["database"]["tables"]["intake_request"] += 1
    (tmp_path / "backup" / MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="签名不对"):
        call_command("restore", str(tmp_path / "backup"), stdout=io.StringIO())


@transactional
def test_a_good_backup_passes_the_check_and_a_second_backup_into_the_same_folder_is_refused(district, tmp_path):
    backed_up(tmp_path / "backup")
    out = io.StringIO()

    call_command("restore", str(tmp_path / "backup"), "--check", stdout=out)

    assert "备份核对通过" in out.getvalue() and "照片：1 个文件" in out.getvalue()
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO())


@transactional
def test_restore_refuses_counts_that_differ_from_the_loaded_database_and_anchors_nothing(district, tmp_path):
    """A manifest signed by someone holding the key whose counts are not the dump's (a bug, or a dump
    swapped together with its checksum): the loaded rows are counted and the restore is refused."""
    if connection.vendor != "sqlite":
        pytest.skip("one database is enough for the count check")
    manifest = backed_up(tmp_path / "backup")
    manifest["database"]["tables"]["intake_request"] += 1
    unsigned = {k: v for k, v in manifest.items() if k != "sig"}
    (tmp_path / "backup" / MANIFEST).write_text(json.dumps({**unsigned, "sig": anchor.signature(unsigned)}))
    env = target(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")

    restored = sanshi("restore", str(tmp_path / "backup"), env=env)

    assert restored.returncode == 1
    assert "各表行数与清单不符" in restored.stderr and "intake_request：清单 3 行，恢复后 2 行" in restored.stderr
    assert anchors(Path(env["SANSHI_AUDIT_ANCHOR_FILE"])) == []
    assert not Path(env["SANSHI_MEDIA_ROOT"]).exists()


# --- after a point-in-time recovery (no backup directory) ----------------------------------------------

def _verify() -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_after_a_point_in_time_recovery_the_recovered_head_is_anchored_as_a_restore_naming_what_was_lost(
        db, source):
    rows = [audit_record(event="export", obj_type="case", obj_id=str(n)) for n in range(1, 6)]
    audit_anchor_sweep()  # the worker anchors seq 5
    tamper("DELETE FROM audit_auditentry WHERE seq > 3")  # the database recovered to a time before rows 4–5
    assert "truncated" in _verify()[1]

    out = io.StringIO()
    call_command("restore", "--recovered-to", "2026-12-05 03:58:00+08", stdout=out)

    ok, verified = _verify()
    assert ok, verified
    assert "restored to this head from the point-in-time recovery of" in verified and "as of 2026-12-05 03:58" in verified
    line = anchors(Path(settings.SANSHI_AUDIT_ANCHOR_FILE))[-1]
    assert (line["kind"], line["seq"], line["replaces"]) == ("restore", 3, f"5:{rows[-1].hash}")
    assert "seq 4–5 的审计行" in out.getvalue()
    with pytest.raises(CommandError, match="链上仍有最新的锚点"):  # nothing lost since: nothing to anchor
        call_command("restore", "--recovered-to", "2026-12-05 04:00:00+08", stdout=io.StringIO())


# --- PostgreSQL ------------------------------------------------------------------------------------------

def _connect(dbname: str) -> psycopg.Connection:
    conf = connection.settings_dict
    return psycopg.connect(dbname=dbname, host=conf["HOST"] or None, port=conf["PORT"] or None,
                           user=conf["USER"] or None, password=conf["PASSWORD"] or None, autocommit=True)


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A new empty database beside the suite's (created from the suite's connection, never through the
    `postgres` database), dropped at the end."""
    name = f"{connection.settings_dict['NAME']}_restore_{secrets.token_hex(4)}"
    with closing(_connect(connection.settings_dict["NAME"])) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield name
    finally:
        with closing(_connect(connection.settings_dict["NAME"])) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(dbname: str) -> str:
    conf = connection.settings_dict
    user = quote(conf["USER"] or "", safe="") + (":" + quote(conf["PASSWORD"], safe="") if conf["PASSWORD"] else "")
    return f"postgres://{user}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{dbname}"


@transactional
def test_a_pg_dump_backup_restored_into_a_new_postgres_database_is_whole_and_verifies(
        postgres_only, district, tmp_path, empty_postgres_database):
    manifest = backed_up(tmp_path / "backup")
    assert manifest["database"]["vendor"] == "postgresql" and manifest["database"]["tool"].startswith("pg_dump")
    assert (tmp_path / "backup" / "database.pgdump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    env = target(tmp_path, _url(empty_postgres_database))

    restored = sanshi("restore", str(tmp_path / "backup"), env=env)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    with closing(_connect(empty_postgres_database)) as db, db.cursor() as cursor:
        counts = table_counts(cursor, "postgresql")
        cursor.execute("SELECT reporter_phone FROM intake_request WHERE reporter_phone != ''")
        [phone] = cursor.fetchone()
    assert_restored(manifest, env, district, counts, phone)

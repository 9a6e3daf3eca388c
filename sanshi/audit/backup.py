"""Backup and restore (issue 19; docs/operations.md, "Backup and restore").

`backup(directory)` writes one consistent backup of everything a restore needs that is not a secret:

- the database — PostgreSQL: `pg_dump -Fc` of an exported snapshot, and the table counts and the audit
  chain's head read in that same snapshot (so the counts are exactly the dump's, even while the site
  runs); SQLite: the online backup API (`sqlite3.Connection.backup`) into a file, counted afterwards;
- the photos (MEDIA_ROOT) as one tar, the triage model and its .json;
- `manifest.json`: counts per table, the audit head, the code version, the time, the vendor, a
  SHA-256 of every file, and the *fingerprint* of SANSHI_FIELD_KEY the data was encrypted with —
  never the key — signed with SANSHI_AUDIT_ANCHOR_KEY (a key neither the database nor the backup holds).

`restore(directory)` refuses before it writes anything when the manifest's signature, a checksum, the
vendor or the field key's fingerprint is wrong, or when the database or the photo folder is not empty;
then loads the database, checks the counts and the audit chain against the manifest, puts the photos
and the model in place and anchors "restored to head H" (a signed `restore` line, anchor.py), so that
`sanshi audit verify` passes and names the restore.

It lives in the audit app because it reads the chain and writes its anchor; sanshi.core, below, knows
nothing of either. No third-party backup library: django-dbbackup runs pg_dump on a snapshot of its
own (the counts and the head could not be read in the dump's snapshot) and restores over an existing
database (`--clean`), where we refuse anything but an empty one; the copying itself is one pg_dump, one
pg_restore, one `Connection.backup` call and a tar (docs/operations.md says more)."""

import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 — pg_dump, pg_restore and git, with argument lists (never a shell)
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from sanshi.core.crypto import UNREADABLE, lookup_hash
from sanshi.core.fields import EncryptedTextField

from . import anchor
from .models import AuditEntry
from .selectors import audit_chain_verify
from .services import audit_seal_all

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
MEDIA_FILE = "media.tar"
MODEL_FILE = "triage-model.joblib"
MODEL_INFO_FILE = MODEL_FILE + ".json"
# what the fingerprint hashes: the keyed lookup hash of this fixed text names the key without revealing it
FINGERPRINT_TEXT = "sanshi:backup:field-key-fingerprint:v1"
_CHUNK = 1024 * 1024


Say = Callable[[str], None]


class BackupRefused(Exception):
    """A backup or restore that cannot go on; the message says why and what to do, for the operator."""


# --- facts the manifest records ------------------------------------------------------------------

def field_key_fingerprint() -> str:
    """Which SANSHI_FIELD_KEY the data is encrypted with: the keyed lookup hash (core.crypto) of a fixed
    text. It tells two keys apart and reveals nothing of the key."""
    return lookup_hash(FINGERPRINT_TEXT)


def field_key_source() -> str:
    return "SANSHI_FIELD_KEY" if settings.SANSHI_FIELD_KEY else "SECRET_KEY (development fallback)"


def code_version() -> dict[str, str]:
    """The package version, and `git describe` of the working tree when there is one."""
    try:
        version = importlib.metadata.version("sanshi")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    described = ""
    git = shutil.which("git")
    if git and (settings.PROJECT_DIR / ".git").exists():
        try:
            described = subprocess.run(  # noqa: S603
                [git, "-C", str(settings.PROJECT_DIR), "describe", "--tags", "--always", "--dirty"],
                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            described = ""
    return {"package": version, "git": described}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(cursor: Any, vendor: str) -> dict[str, int]:
    """Rows per table of the database behind a DB-API cursor (Django's or sqlite3's own)."""
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = ANY (current_schemas(false))")
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    counts = {}
    for (name,) in sorted(cursor.fetchall()):
        cursor.execute(f"SELECT count(*) FROM {_quote(name)}")  # noqa: S608 — a table name the database listed
        counts[name] = int(cursor.fetchone()[0])
    return counts


def audit_head(cursor: Any) -> dict | None:
    """The chain's head (seq and hash), or None for an empty chain."""
    cursor.execute(f"SELECT seq, hash FROM {_quote(AuditEntry._meta.db_table)} "  # noqa: S608
                   "ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    return {"seq": int(row[0]), "hash": str(row[1])} if row else None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def _signed(manifest: dict) -> dict:
    unsigned = {k: v for k, v in manifest.items() if k != "sig"}
    return {**unsigned, "sig": anchor.signature(unsigned)}


# --- PostgreSQL: the client programs ----------------------------------------------------------------

def _pg_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(f"找不到 {name}：请安装 PostgreSQL 客户端（apt-get install postgresql-client），"
                            "版本不低于服务器的主版本")
    return path


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """libpq options for the database in DATABASE_URL (the password through the environment only)."""
    conf = connection.settings_dict
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if conf.get(key):
            args.append(f"{flag}={conf[key]}")
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    if (conf.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(conf["OPTIONS"]["sslmode"])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupRefused(f"{what}失败（退出码 {result.returncode}）：{result.stderr.strip()[-2000:]}")


def _dump_postgresql(path: Path) -> tuple[dict[str, int], dict | None, str]:
    """pg_dump -Fc of a snapshot this connection exports and holds open, then the counts and the head
    read in that same snapshot: the manifest describes exactly what the dump holds."""
    pg_dump = _pg_program("pg_dump")
    tool = subprocess.run([pg_dump, "--version"], capture_output=True, text=True,  # noqa: S603
                          check=False).stdout.strip()
    args, env = _pg_connection_args()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        _run([pg_dump, "--format=custom", f"--file={path}", f"--snapshot={snapshot}", *args,
              f"--dbname={connection.settings_dict['NAME']}"], env, "pg_dump ")
        counts = table_counts(cursor, "postgresql")
        head = audit_head(cursor)
    return counts, head, tool


def _restore_postgresql(path: Path, *, keep_owners: bool) -> None:
    """pg_restore in one transaction that stops at the first error: a failed restore leaves the
    database as empty as it was."""
    pg_restore = _pg_program("pg_restore")
    args, env = _pg_connection_args()
    owners = [] if keep_owners else ["--no-owner", "--no-privileges"]
    connection.close()  # no session of ours in the database while it loads
    _run([pg_restore, "--single-transaction", "--exit-on-error", *owners, *args,
          f"--dbname={connection.settings_dict['NAME']}", str(path)], env, "pg_restore ")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # pg_restore leaves no planner statistics


# --- SQLite: the online backup API ----------------------------------------------------------------

def _copy_sqlite(path: Path) -> tuple[dict[str, int], dict | None, str]:
    """Connection.backup copies a consistent image of the database, even while others write to it; the
    counts and the head are then read from the copy itself."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (no -wal beside it)
        cursor = target.cursor()
        counts, head = table_counts(cursor, "sqlite"), audit_head(cursor)
    finally:
        target.close()
    return counts, head, f"sqlite3 {sqlite3.sqlite_version} (online backup API)"


def _restore_sqlite(path: Path) -> None:
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise RuntimeError("restore must not run inside a transaction")
    source = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


# --- photos and the model ----------------------------------------------------------------------------

def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _tar_media(root: Path, path: Path) -> tuple[int, int]:
    files = _media_files(root)
    with tarfile.open(path, "w") as tar:
        for file in files:
            tar.add(file, arcname=file.relative_to(root).as_posix(), recursive=False)
    return len(files), sum(f.stat().st_size for f in files)


def _safe_member(member: tarfile.TarInfo) -> PurePosixPath:
    name = PurePosixPath(member.name)
    if not member.isfile() or name.is_absolute() or ".." in name.parts or not name.parts:
        raise BackupRefused(f"照片包里有不该有的条目：{member.name!r}（只允许目录内的普通文件）")
    return name


def _untar_media(path: Path, root: Path) -> int:
    """Only regular files under the folder (no links, devices, absolute paths or `..`)."""
    count = 0
    with tarfile.open(path, "r") as tar:
        for member in tar:
            name = _safe_member(member)
            target = root.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, target.open("xb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            count += 1
    return count


def _model_paths() -> tuple[Path, Path]:
    model = Path(settings.SANSHI_TRIAGE_MODEL_PATH)
    return model, model.with_name(model.name + ".json")


def _put_in_place(source: Path, target: Path) -> None:
    """Copy beside the target, then rename over it: a reader sees the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


# --- backup -----------------------------------------------------------------------------------------

def backup(directory: Path, *, say: Say = print) -> dict:
    """Write a backup into `directory` (new, or empty) and return its manifest. The manifest is written
    last: a directory without one is an unfinished backup, and restore refuses it."""
    started = time.monotonic()
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupRefused(f"不支持的数据库：{vendor}（只支持 PostgreSQL 和 SQLite）")
    if directory.exists() and any(directory.iterdir()):
        raise BackupRefused(f"备份目录 {directory} 不是空的：每次备份写入一个新目录（如 backups/$(date +%F)）")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # it holds encrypted personal data and password hashes

    try:
        if sealed := audit_seal_all():
            say(f"已把审计日志中待封存的 {sealed} 行封入哈希链")
    except DatabaseError as exc:  # the backup matters more; the journal's rows are in the dump anyway
        say(f"注意：封存审计日志失败（{exc}）；未封存的行仍在备份的日志表中")

    database_file = directory / DATABASE_FILES[vendor]
    step = time.monotonic()
    if vendor == "postgresql":
        say("正在导出数据库（pg_dump 自定义格式，导出快照）……")
        counts, head, tool = _dump_postgresql(database_file)
    else:
        say("正在复制数据库（SQLite 在线备份）……")
        counts, head, tool = _copy_sqlite(database_file)
    database_seconds = time.monotonic() - step
    say(f"数据库已备份：{len(counts)} 张表，共 {sum(counts.values())} 行，{_size(database_file.stat().st_size)}，"
        f"用时 {database_seconds:.1f} 秒；审计链头 "
        + (f"seq {head['seq']}" if head else "为空"))

    say(f"正在打包照片（{settings.MEDIA_ROOT}）……")
    step = time.monotonic()
    photos, photo_bytes = _tar_media(Path(settings.MEDIA_ROOT), directory / MEDIA_FILE)
    say(f"照片已打包：{photos} 个文件，{_size(photo_bytes)}，用时 {time.monotonic() - step:.1f} 秒")

    model, info = _model_paths()
    model_note: dict | None = None
    if model.is_file():
        say(f"正在复制分拣模型（{model}）……")
        shutil.copyfile(model, directory / MODEL_FILE)
        model_note = {"file": MODEL_FILE, "info": None, "version": None}
        if info.is_file():
            shutil.copyfile(info, directory / MODEL_INFO_FILE)
            model_note["info"] = MODEL_INFO_FILE
            try:
                model_note["version"] = json.loads(info.read_text(encoding="utf-8")).get("version")
            except ValueError:
                pass
        say(f"分拣模型已复制：{_size(model.stat().st_size)}")
    else:
        say(f"没有分拣模型（{model} 不存在）：备份中不含模型")

    for path in directory.iterdir():
        path.chmod(0o600)
    say("正在计算校验和……")
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.name != MANIFEST):
        files[path.name] = {"sha256": sha256(path), "bytes": path.stat().st_size}
    manifest = _signed({
        "format": FORMAT,
        "created_at": _now(),
        "code": code_version(),
        "database": {"vendor": vendor, "label": anchor.database_label(), "file": database_file.name,
                     "tool": tool, "tables": counts, "rows": sum(counts.values())},
        "audit_head": head,
        "field_key": {"fingerprint": field_key_fingerprint(), "source": field_key_source()},
        "media": {"file": MEDIA_FILE, "files": photos, "bytes": photo_bytes},
        "triage_model": model_note,
        "files": files,
        "seconds": round(time.monotonic() - started, 2),
    })
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.chmod(0o600)
    os.replace(partial, directory / MANIFEST)
    total = sum(int(f["bytes"]) for f in files.values())
    say(f"备份完成：{directory}，共 {_size(total)}，用时 {manifest['seconds']:.1f} 秒。"
        "SANSHI_FIELD_KEY 不在备份中：请另行保管（见 docs/operations.md「The field key」）")
    return manifest


# --- restore -----------------------------------------------------------------------------------------

def read_manifest(directory: Path) -> dict:
    """The manifest, refused when it is missing, unreadable or not signed with SANSHI_AUDIT_ANCHOR_KEY."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupRefused(f"{directory} 里没有 {MANIFEST}：不是备份目录，或备份没有完成")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupRefused(f"{MANIFEST} 无法读取（{exc}）：备份已损坏") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{MANIFEST} 的格式不是 {FORMAT}：不是本版本写的备份")
    if not isinstance(manifest.get("sig"), str) or _signed(manifest)["sig"] != manifest["sig"]:
        raise BackupRefused(f"{MANIFEST} 的签名不对：清单被改过，或备份时用的是另一个 SANSHI_AUDIT_ANCHOR_KEY。"
                            "恢复被拒绝")
    return manifest


def _check_files(directory: Path, manifest: dict) -> list[str]:
    problems = []
    for name, expected in sorted(manifest["files"].items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"缺少文件 {name}")
        elif path.stat().st_size != expected["bytes"] or sha256(path) != expected["sha256"]:
            problems.append(f"{name} 的校验和与清单不符（文件被改动或损坏）")
    return problems


def _check_field_key(manifest: dict) -> None:
    expected, here = manifest["field_key"]["fingerprint"], field_key_fingerprint()
    if expected != here:
        raise BackupRefused(
            "SANSHI_FIELD_KEY 与备份不符：备份中的联系电话和身份证号是用指纹为 "
            f"{expected[:16]}… 的密钥（{manifest['field_key']['source']}）加密的，当前配置的密钥指纹为 "
            f"{here[:16]}…（{field_key_source()}）。用这个密钥恢复，个人信息将无法解密。"
            "请配置备份时的 SANSHI_FIELD_KEY 后再恢复；什么都没有写入")


def _occupied_tables() -> list[str]:
    return sorted(connection.introspection.table_names(include_views=True))


def check_backup(directory: Path, *, say: Say = print) -> dict:
    """Everything a restore checks before it writes: the manifest's signature, every checksum, the
    vendor, the field key. Returns the manifest."""
    manifest = read_manifest(directory)
    say(f"备份清单：{manifest['created_at']}，{manifest['database']['label']}，代码 "
        f"{manifest['code']['git'] or manifest['code']['package']}；签名正确")
    if problems := _check_files(directory, manifest):
        raise BackupRefused("备份已损坏或被改动，恢复被拒绝：" + "；".join(problems))
    say(f"{len(manifest['files'])} 个文件的校验和全部相符")
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupRefused(f"备份来自 {vendor}，目标数据库是 {connection.vendor}：只能恢复到同一种数据库")
    _check_field_key(manifest)
    say("SANSHI_FIELD_KEY 的指纹与备份相符")
    return manifest


@dataclass
class Restored:
    manifest: dict
    anchor: anchor.Anchor | None
    notes: list[str] = field(default_factory=list)


def _differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    lines = []
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            lines.append(f"{table}：恢复后没有这张表")
        elif table not in expected:
            lines.append(f"{table}：清单里没有这张表")
        elif expected[table] != found[table]:
            lines.append(f"{table}：清单 {expected[table]} 行，恢复后 {found[table]} 行")
    return lines


def _refuse_after_load(why: str) -> BackupRefused:
    return BackupRefused(
        f"{why}。恢复被拒绝：数据库 {connection.settings_dict['NAME']} 已载入了未通过核对的数据，"
        "不要使用它——删除后重新建一个空库；照片和模型没有动，也没有写恢复锚点")


def _check_loaded(manifest: dict, say: Say) -> None:
    with connection.cursor() as cursor:
        counts = table_counts(cursor, connection.vendor)
    if differences := _differences(manifest["database"]["tables"], counts):
        raise _refuse_after_load("各表行数与清单不符：" + "；".join(differences[:10]))
    say(f"各表行数与清单相符：{len(counts)} 张表，共 {sum(counts.values())} 行")
    say("正在核对审计哈希链……")
    report = audit_chain_verify(progress=lambda n: say(f"  …已核对 {n} 行"), progress_every=100_000)
    if not report.ok:
        raise _refuse_after_load("审计哈希链不完整：" + "；".join(str(p) for p in report.problems[:5]))
    expected = manifest["audit_head"]
    found = {"seq": report.head_seq, "hash": report.head_hash} if report.head_seq is not None else None
    if found != expected:
        raise _refuse_after_load(f"审计链头与清单不符：清单 {expected}，恢复后 {found}")
    say(f"审计哈希链完整：{report.checked} 行，链头 "
        + (f"{found['seq']}:{found['hash']}" if found else "为空") + "，与清单相符")


def _migration_note() -> str:
    loader = MigrationLoader(connection)
    graph = set(loader.graph.nodes)
    applied = set(loader.applied_migrations)
    if graph - applied:
        return f"当前代码有 {len(graph - applied)} 个迁移未在备份中应用：请运行 sanshi migrate"
    if applied - graph:
        return f"备份比当前代码新（{len(applied - graph)} 个迁移代码里没有）：请部署备份时的代码版本"
    return "数据库迁移与当前代码一致"


def _unreadable_personal_data() -> list[str]:
    """One stored value of each encrypted field, read with the configured key: the fingerprint says the
    key is the backup's; this says the rows really open with it."""
    unreadable = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, EncryptedTextField) or model._meta.db_table not in tables:
                continue
            values = (model._default_manager.exclude(**{model_field.name: ""})
                      .values_list(model_field.name, flat=True)[:1])
            for value in values:
                if value == UNREADABLE:
                    unreadable.append(f"{model._meta.label}.{model_field.name}")
    return unreadable


def restore(directory: Path, *, say: Say = print, keep_owners: bool = True) -> Restored:
    """Load the backup in `directory` into this (empty) database and the (empty) photo folder; see the
    module's docstring for the order of the checks."""
    started = time.monotonic()
    manifest = check_backup(directory, say=say)
    if tables := _occupied_tables():
        raise BackupRefused(
            f"目标数据库 {connection.settings_dict['NAME']} 不是空库（已有 {len(tables)} 张表，如 "
            f"{', '.join(tables[:3])}）：恢复只写入空数据库。请"
            + ("新建一个空库（createdb -T template0 名称）" if connection.vendor == "postgresql" else "换一个新的文件路径")
            + "并让 DATABASE_URL 指向它；什么都没有写入")
    media_root = Path(settings.MEDIA_ROOT)
    if present := _media_files(media_root):
        raise BackupRefused(f"照片目录 {media_root} 不是空的（{len(present)} 个文件）：恢复只写入空目录。"
                            f"请先把它移开（mv {media_root} {media_root}.old）；什么都没有写入")

    database_file = directory / manifest["database"]["file"]
    step = time.monotonic()
    say(f"正在载入数据库（{_size(database_file.stat().st_size)}）……")
    if connection.vendor == "postgresql":
        _restore_postgresql(database_file, keep_owners=keep_owners)
    else:
        _restore_sqlite(database_file)
    say(f"数据库已载入，用时 {time.monotonic() - step:.1f} 秒")
    _check_loaded(manifest, say)
    result = Restored(manifest=manifest, anchor=None)
    if unreadable := _unreadable_personal_data():
        result.notes.append("注意：这些字段的抽样无法用当前密钥解密（备份前就已如此）：" + "、".join(unreadable))

    say("正在恢复照片……")
    media_root.mkdir(parents=True, exist_ok=True)
    photos = _untar_media(directory / manifest["media"]["file"], media_root)
    if photos != manifest["media"]["files"]:
        result.notes.append(f"注意：照片包里有 {photos} 个文件，清单记的是 {manifest['media']['files']} 个")
    say(f"照片已恢复：{photos} 个文件 → {media_root}")
    model, info = _model_paths()
    if note := manifest.get("triage_model"):
        existed = model.is_file()
        _put_in_place(directory / note["file"], model)
        if note.get("info"):
            _put_in_place(directory / note["info"], info)
        say(f"分拣模型已恢复 → {model}" + ("（替换了原有的模型）" if existed else ""))
    else:
        result.notes.append("备份中没有分拣模型：运行 sanshi triage ensure-model 训练一个")

    result.notes.append(_migration_note())
    result.anchor = _anchor_restore(directory, manifest, say)
    say(f"恢复完成，用时 {time.monotonic() - started:.1f} 秒")
    return result


def _anchor_restore(directory: Path, manifest: dict, say: Say) -> anchor.Anchor | None:
    """The signed "restored to head H" line: from now on `verify` checks the chain against it."""
    head = manifest["audit_head"]
    if head is None:
        say("审计链为空：不写恢复锚点")
        return None
    return _append_restore_anchor(seq=head["seq"], hash=head["hash"], say=say, extra={
        "method": "backup", "source": manifest["database"]["label"], "backup_at": manifest["created_at"],
        "backup": sha256(directory / MANIFEST)})


def _append_restore_anchor(*, seq: int, hash: str, extra: dict, say: Say) -> anchor.Anchor:
    """When the anchor file already had a newer head for this database (rows written after the backup or
    the recovery target, lost with the old database), the line names it, so the loss stays on record."""
    previous = anchor.newest().trusted
    if previous is not None:
        extra = {**extra, "replaces": f"{previous.seq}:{previous.hash}"}
    written = anchor.signed(kind="restore", seq=seq, hash=hash, extra=extra)
    anchor.append(written)
    say(f"已写入恢复锚点：恢复到链头 {seq}:{hash}（{anchor.anchor_path()}）")
    if previous is not None and previous.seq > seq:
        say(f"注意：此前这个数据库锚定到 seq {previous.seq}；seq {seq + 1}–{previous.seq} 的审计行"
            "写于备份（或恢复目标时间）之后，随旧数据库丢失")
    return written


def anchor_recovered(*, recovered_to: str, say: Say = print) -> anchor.Anchor:
    """After a recovery `sanshi restore` did not make — PostgreSQL point-in-time recovery — the chain
    ends before the newest anchor and `verify` reports it truncated. Check the whole chain as it now is
    and anchor its head as restored ("point-in-time recovery … as of `recovered_to`"). Refused when the
    chain is broken, or when it still holds the newest anchor (then nothing was lost: nothing to do)."""
    say("正在核对审计哈希链……")
    report = audit_chain_verify(progress=lambda n: say(f"  …已核对 {n} 行"), progress_every=100_000)
    if not report.ok:
        raise BackupRefused("审计哈希链本身不完整，不能锚定：" + "；".join(str(p) for p in report.problems[:5]))
    if report.head_seq is None:
        raise BackupRefused("审计链为空：没有可锚定的链头")
    trusted = anchor.newest().trusted
    if trusted is not None and AuditEntry.objects.filter(seq=trusted.seq, hash=trusted.hash).exists():
        raise BackupRefused(f"链上仍有最新的锚点（{trusted}）：没有丢失的行，sanshi audit verify 应能通过；"
                            "不写恢复锚点")
    say(f"审计哈希链完整：{report.checked} 行，链头 {report.head_seq}:{report.head_hash}")
    return _append_restore_anchor(seq=report.head_seq, hash=report.head_hash, say=say, extra={
        "method": "point-in-time recovery", "source": anchor.database_label(), "backup_at": recovered_to})


def summary_lines(manifest: dict) -> Iterable[str]:
    """What a backup holds, for `restore --check`."""
    database = manifest["database"]
    head = manifest["audit_head"]
    yield f"数据库：{database['vendor']}（{database['label']}），{len(database['tables'])} 张表，{database['rows']} 行"
    yield "审计链头：" + (f"{head['seq']}:{head['hash']}" if head else "空")
    yield f"照片：{manifest['media']['files']} 个文件，{_size(manifest['media']['bytes'])}"
    model = manifest.get("triage_model")
    yield "分拣模型：" + ((model.get("version") or "有") if model else "无")
    yield f"代码：{manifest['code']['git'] or '-'}（包版本 {manifest['code']['package']}）"

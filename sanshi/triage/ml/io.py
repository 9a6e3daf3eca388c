"""CSV readers: labelled rows, department rows, corrections."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

CORRECTION_COLUMNS = ["text", "title", "kind", "catalogue_code", "department", "urgent"]
KINDS = ("PUBLIC", "SHARED", "HOUSEHOLD")
TAXONOMY_COLUMNS = ("一级分类", "二级分类", "三级分类")


def _open(path) -> io.TextIOBase:
    return open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115


def header(path) -> list[str]:
    with _open(path) as fh:
        return [h.strip() for h in next(csv.reader(fh), [])]


def file_kind(path) -> str:
    """'kind', 'department', 'corrections' or 'taxonomy', recognised by the CSV header."""
    cols = set(header(path))
    if set(TAXONOMY_COLUMNS[:2]) <= cols:
        return "taxonomy"
    if {"text", "kind"} <= cols and ("catalogue_code" in cols or "department" in cols):
        return "corrections"
    if {"text", "label"} <= cols:
        return "kind" if "code" in cols else "department"
    raise ValueError(f"无法识别的数据文件（表头 {sorted(cols)}）: {path}")


def _flag(value) -> bool | None:
    v = str(value or "").strip().lower()
    if v in ("1", "true", "yes", "y", "是", "t"):
        return True
    if v in ("0", "false", "no", "n", "否", "f"):
        return False
    return None


def read_rows(path) -> list[dict]:
    """Rows of a CSV with columns id,title,text,label[,code,urgent] (title may be empty)."""
    rows = []
    with _open(path) as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            row = {
                "id": (r.get("id") or str(i)).strip(),
                "title": (r.get("title") or "").strip(),
                "text": r.get("text") or "",
                "label": (r.get("label") or "").strip(),
            }
            if "code" in r:
                row["code"] = (r.get("code") or "").strip()
            if "urgent" in r:
                row["urgent"] = bool(_flag(r.get("urgent")))
            rows.append(row)
    return rows


def read_corrections(path) -> list[dict]:
    """The corrections CSV: text,title,kind,catalogue_code,department,urgent.

    kind is required (PUBLIC/SHARED/HOUSEHOLD); catalogue_code, department and urgent may be
    empty (urgent: 1/0/true/false). Rows without text or with an unknown kind are skipped.
    """
    out = []
    with _open(path) as fh:
        for r in csv.DictReader(fh):
            text = r.get("text") or ""
            kind = (r.get("kind") or "").strip().upper()
            if not text.strip() or kind not in KINDS:
                continue
            out.append({
                "text": text,
                "title": (r.get("title") or "").strip(),
                "kind": kind,
                "catalogue_code": (r.get("catalogue_code") or "").strip().upper(),
                "department": (r.get("department") or "").strip(),
                "urgent": _flag(r.get("urgent")),
            })
    return out


def read_taxonomy(path) -> list[tuple[str, str, str]]:
    """The official category tree: one (一级分类, 二级分类, 三级分类) tuple per row."""
    out = []
    with _open(path) as fh:
        for r in csv.DictReader(fh):
            row = tuple((r.get(c) or "").strip() for c in TAXONOMY_COLUMNS)
            if row[0] and row[1]:
                out.append(row)
    return out


def default_data_dir() -> Path | None:
    env = os.environ.get("SANSHI_TRIAGE_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    cand = repo.parent / "shared" / "data"
    return cand if cand.exists() else None


def default_data_files() -> list[str]:
    """kind_dev.csv, dept_train.csv (with the taxonomy.csv beside it) and corrections*.csv
    under the default data dir (whatever exists)."""
    base = default_data_dir()
    if base is None:
        return []
    dept = base / "teddy2020c" / "dept_train.csv"
    files = [base / "sanshi" / "kind_dev.csv", dept]
    if dept.exists():
        files.append(dept.parent / "taxonomy.csv")
    files += sorted(base.glob("corrections*.csv"))
    return [str(p) for p in files if p.exists()]


def default_taxonomy_file() -> str | None:
    """taxonomy.csv beside dept_train.csv in the default data dir, when it exists."""
    base = default_data_dir()
    p = base / "teddy2020c" / "taxonomy.csv" if base is not None else None
    return str(p) if p is not None and p.is_file() else None


def default_taxonomy() -> list[tuple[str, str, str]]:
    """The rows of default_taxonomy_file(), or [] when there is none (training works without)."""
    p = default_taxonomy_file()
    try:
        return read_taxonomy(p) if p else []
    except (OSError, UnicodeDecodeError, csv.Error):
        return []

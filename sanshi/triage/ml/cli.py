"""Helpers the Django management command calls: train, eval, classify."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .io import default_data_files, file_kind, read_corrections, read_rows, read_taxonomy
from .model import DEPARTMENTS, KINDS, TriageModel


def _progress(out):
    def say(step, total, msg):
        out.write(f"[{step}/{total}] {msg} …\n")
        out.flush()
    return say


def _fmt_per_class(out, per_class: dict):
    out.write(f"  {'类别':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}\n")
    for lab, m in per_class.items():
        out.write(f"  {lab:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>6}\n")


def _fmt_confusion(out, labels, matrix):
    out.write("  confusion (rows = true, cols = predicted): " + " ".join(labels) + "\n")
    for lab, row in zip(labels, matrix, strict=True):
        out.write(f"  {lab:<10}" + "".join(f"{v:>7}" for v in row) + "\n")


def print_report(report: dict, out) -> None:
    for key in ("kind", "department"):
        r = report.get(key)
        if not r:
            continue
        spread = f", std across folds {r['fold_std']:.3f}" if "fold_std" in r else ""
        out.write(f"{key}: {report.get('folds', 5)}-fold CV macro-F1 {r['macro_f1']:.4f}{spread}, "
                  f"accuracy {r['accuracy']:.4f}, ECE {r['ece']:.3f} (n={r['n']}, fold seed {report.get('seed', 0)})\n")
        _fmt_per_class(out, r["per_class"])
        _fmt_confusion(out, r["confusion"]["labels"], r["confusion"]["matrix"])
        if key == "kind" and r.get("catalogue_accuracy") is not None:
            out.write(f"  catalogue item accuracy {r['catalogue_accuracy']:.4f} (n={r['catalogue_n']}); "
                      f"low-confidence (→ manual) rate {r['low_confidence_rate']:.3f}\n")
    u = report.get("urgent")
    if u:
        out.write(f"urgent: false positives on real messages {u['false_positives_real']}/{u['n_real']} "
                  f"({u['false_positive_rate_real']:.4f}); held-out seed recall {u['seed_recall']:.3f}, "
                  f"seed false-positive rate {u['seed_false_positive_rate']:.3f}\n")


def read_training(data_paths, corrections_paths=(), out=None) -> tuple[list, list, list, list]:
    """(kind rows, department rows, corrections, taxonomy) from the given CSV files (recognised by
    header; default: the data directory), with the taxonomy beside a department file."""
    out = out or sys.stdout
    paths = list(data_paths) or default_data_files()
    if not paths:
        raise FileNotFoundError("没有训练数据：请给出 CSV 文件，或设置 SANSHI_TRIAGE_DATA")
    kind_rows, dept_rows, corrections, taxonomy = [], [], [], []
    kinds = [file_kind(p) for p in paths]
    if "department" in kinds and "taxonomy" not in kinds:
        # the official category tree, when it sits beside a department file (as in shared/data)
        beside = [Path(p).parent / "taxonomy.csv" for p, k in zip(paths, kinds, strict=True) if k == "department"]
        paths += [str(b) for b in dict.fromkeys(beside) if b.is_file()][:1]
    for p in paths + list(corrections_paths):
        what = file_kind(p)
        if what == "kind":
            rows = read_rows(p)
            kind_rows += rows
        elif what == "department":
            rows = read_rows(p)
            dept_rows += rows
        elif what == "taxonomy":
            rows = read_taxonomy(p)
            taxonomy += rows
        else:
            rows = read_corrections(p)
            corrections += rows
        out.write(f"读取 {p}: {len(rows)} 行（{what}）\n")
    if not kind_rows or not dept_rows:
        raise ValueError("需要 kind 数据（含 code 列）和 department 数据（id,title,text,label）各一份")
    return kind_rows, dept_rows, corrections, taxonomy


def cmd_train(data_paths, model_path, catalogue_items, out=None, corrections_paths=(),
              cross_validation: bool = True, meta: dict | None = None) -> TriageModel:
    """Train on the given CSV files (recognised by header) and save to model_path. meta: entries
    added to the model's report (what the caller knows of the data, e.g. the last correction id)."""
    out = out or sys.stdout
    kind_rows, dept_rows, corrections, taxonomy = read_training(data_paths, corrections_paths, out)
    t = time.time()
    model = TriageModel.train(kind_rows=kind_rows, dept_rows=dept_rows, catalogue_items=catalogue_items,
                              corrections=corrections, progress=_progress(out),
                              cross_validation=cross_validation, taxonomy=taxonomy)
    model.report.update(meta or {})
    n = 5 if cross_validation else 4
    out.write(f"[{n}/{n}] 保存模型 → {model_path}\n")
    model.save(model_path)
    print_report(model.report, out)
    size = os.path.getsize(model_path) / 1e6
    out.write(f"完成：{time.time() - t:.1f} 秒，模型 {size:.1f} MB，版本 {model.model_version}\n")
    return model


def train_in_child(data_paths, model_path, catalogue_items, corrections_paths, cross_validation, meta,
                   reference_corrections_paths=None) -> dict:
    """cmd_train in a child process (the worker's retraining): the parent's threads keep the GIL
    to themselves, the child runs at a lower priority, and its memory goes back when it ends.
    Returns the saved model's {"version", "report"}; an error is raised in the parent. With
    reference_corrections_paths, also "reference": the cross-validated figures of the same data
    with only those corrections (what the serving model would score, when it has no figures)."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=os.nice, initargs=(10,)) as pool:
        try:
            return pool.submit(_train_quietly, list(data_paths), str(model_path), catalogue_items,
                               list(corrections_paths), cross_validation, meta, reference_corrections_paths).result()
        except BrokenProcessPool as exc:  # killed: the worker stopping, or out of memory
            raise RuntimeError("训练进程被中止（worker 停止或内存不足），稍后自动重试") from exc


def _train_quietly(data_paths, model_path, catalogue_items, corrections_paths, cross_validation, meta,
                   reference_corrections_paths=None) -> dict:
    import io

    from .model import cross_validate

    quiet = io.StringIO()
    model = cmd_train(data_paths, model_path, catalogue_items, out=quiet, corrections_paths=corrections_paths,
                      cross_validation=cross_validation, meta=meta)
    out = {"version": model.model_version, "report": model.report}
    if reference_corrections_paths is not None:
        kind_rows, dept_rows, corrections, taxonomy = read_training(data_paths, reference_corrections_paths, quiet)
        out["reference"] = cross_validate(kind_rows, dept_rows, catalogue_items, corrections=corrections,
                                          urgent=False, taxonomy=taxonomy)
    return out


def cmd_eval(data_path, target, model_path, out=None) -> dict:
    """Classify every row of data_path (id,title,text,label) and print the figures; the last
    line is one JSON object {"target", "n", "accuracy", "macro_f1"}."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    out = out or sys.stdout
    if target not in ("kind", "department"):
        raise ValueError("target must be 'kind' or 'department'")
    model = TriageModel.load(model_path)
    rows = read_rows(data_path)
    t = time.time()
    res = model.predict_many([(r["title"], r["text"]) for r in rows])
    dt = time.time() - t
    y = np.array([r["label"].upper() if target == "kind" else r["label"] for r in rows], dtype=object)
    p = np.array([getattr(x, target).label for x in res], dtype=object)
    order = KINDS if target == "kind" else DEPARTMENTS
    labels = [lab for lab in order if lab in set(y) | set(p)] + sorted((set(y) | set(p)) - set(order) - {""})
    if "" in set(p):
        labels.append("")
    out.write(f"{target}: {len(rows)} 行，{dt:.2f} 秒；转人工 {sum(x.manual for x in res)} 行\n")
    pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    out.write(f"  {'类别':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}\n")
    for lab, a, b, c, s in zip(labels, pr, rc, f1, sup, strict=True):
        out.write(f"  {lab or '(无)':<10}{a:>10.3f}{b:>8.3f}{c:>8.3f}{s:>6}\n")
    _fmt_confusion(out, [lab or "(无)" for lab in labels], confusion_matrix(y, p, labels=labels).tolist())
    true_labels = [lab for lab in labels if lab in set(y)]
    summary = {
        "target": target, "n": len(rows),
        "accuracy": round(float((y == p).mean()) if len(rows) else 0.0, 4),
        "macro_f1": round(float(f1_score(y, p, labels=true_labels, average="macro", zero_division=0))
                          if len(rows) else 0.0, 4),
    }
    out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    return summary


def cmd_classify(texts_or_csv, model_path, out=None) -> None:
    """One JSON object per line per text. Accepts a list of texts, one text, or a CSV path
    (columns text and optional title, id)."""
    out = out or sys.stdout
    model = TriageModel.load(model_path)
    items: list[tuple[str, str, str | None]] = []
    if isinstance(texts_or_csv, str | os.PathLike) and str(texts_or_csv).endswith(".csv") \
            and Path(texts_or_csv).is_file():
        with open(texts_or_csv, newline="", encoding="utf-8-sig") as fh:
            for r in csv.DictReader(fh):
                items.append((r.get("title") or "", r.get("text") or "", r.get("id")))
    else:
        texts = [texts_or_csv] if isinstance(texts_or_csv, str) else list(texts_or_csv)
        items = [("", t, None) for t in texts]
    results = model.predict_many([(a, b) for a, b, _ in items])
    for (_title, text, id_), r in zip(items, results, strict=True):
        d = {"id": id_} if id_ is not None else {}
        d["text"] = text[:200]
        d.update(r.as_dict())
        out.write(json.dumps(d, ensure_ascii=False) + "\n")

"""`sanshi triage train|eval|classify|export-corrections|ensure-model`."""

import csv
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sanshi.catalog.selectors import current_items
from sanshi.triage.models import TriageDecision

CORRECTION_FIELDS = ["text", "title", "kind", "catalogue_code", "department", "urgent"]


def catalogue_items() -> list[dict]:
    return [{"code": i.code, "kind": i.kind, "name": i.name, "description": i.description,
             "examples": list(i.examples), "keywords": list(i.keywords), "deadline_days": i.deadline_days}
            for i in current_items()]


def write_corrections(path, *, everything: bool = False, audit: bool = False) -> int:
    rows = TriageDecision.objects.all() if everything else TriageDecision.objects.filter(corrected=True)
    if audit:  # an export of residents' texts leaves a trace (never the texts themselves)
        from django.db import transaction

        from sanshi.audit.services import audit_record

        with transaction.atomic():
            audit_record(event="export", obj_type="triage_corrections", obj_id=str(rows.count()))
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CORRECTION_FIELDS)
        for d in rows.iterator():
            writer.writerow([d.text, d.title, d.kind, d.catalogue_code, d.department, int(d.urgent)])
            n += 1
    return n


class Command(BaseCommand):
    help = "Train, evaluate and run the triage model; export operators' corrections as training data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        train = sub.add_parser("train", help="train and save the model; print cross-validated figures")
        train.add_argument("--data", nargs="*", default=[], help="CSV files (default: ../shared/data)")
        train.add_argument("--corrections", nargs="*", default=[], help="extra corrections CSV files")
        train.add_argument("--no-db-corrections", action="store_true",
                           help="leave out the corrections stored in this database")
        train.add_argument("--no-cv", action="store_true", help="skip cross-validation (faster)")
        train.add_argument("--model", default=None, help="where to save (default SANSHI_TRIAGE_MODEL_PATH)")
        ev = sub.add_parser("eval", help="classify a labelled CSV (id,title,text,label) and print figures")
        ev.add_argument("--data", required=True)
        ev.add_argument("--target", required=True, choices=["kind", "department"])
        ev.add_argument("--model", default=None)
        cl = sub.add_parser("classify", help="one JSON object per text (stdin lines, or --csv)")
        cl.add_argument("--csv", default=None)
        cl.add_argument("--model", default=None)
        ex = sub.add_parser("export-corrections", help="write operators' corrections as CSV")
        ex.add_argument("--output", default="-")
        ex.add_argument("--all", action="store_true", help="every triage decision, not only corrections")
        en = sub.add_parser("ensure-model", help="train a model when none exists and training data is at hand")
        en.add_argument("--model", default=None)

    def handle(self, *args, verb, **opts):
        from sanshi.triage import ml

        model_path = opts.get("model") or settings.SANSHI_TRIAGE_MODEL_PATH
        try:
            if verb == "train":
                self.train(ml, opts["data"], opts["corrections"], model_path,
                           db=not opts["no_db_corrections"], cv=not opts["no_cv"])
            elif verb == "eval":
                ml.cmd_eval(opts["data"], opts["target"], model_path, out=self.stdout)
            elif verb == "classify":
                source = opts["csv"] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
                ml.cmd_classify(source, model_path, out=self.stdout)
            elif verb == "export-corrections":
                self.export(opts["output"], opts["all"])
            elif verb == "ensure-model":
                if Path(model_path).exists():
                    self.stdout.write(f"分拣模型已存在：{model_path}")
                elif not ml.default_data_files():
                    self.stdout.write("未找到训练数据（SANSHI_TRIAGE_DATA 或 ../shared/data），分拣使用清单关键词。")
                else:
                    self.stdout.write("首次运行：训练分拣模型（约1分钟）…")
                    self.train(ml, [], [], model_path, db=True, cv=False)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{exc}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def train(self, ml, data, corrections, model_path, *, db: bool, cv: bool):
        Path(model_path).parent.mkdir(parents=True, exist_ok=True)
        extra = list(corrections)
        with tempfile.TemporaryDirectory() as tmp:
            if db:
                path = Path(tmp) / "corrections-db.csv"
                n = write_corrections(path)
                if n:
                    self.stdout.write(f"本库的人工纠正：{n} 条，一并训练")
                    extra.append(str(path))
            ml.cmd_train(data, model_path, catalogue_items(), out=self.stdout, corrections_paths=extra,
                         cross_validation=cv)

    def export(self, output: str, everything: bool):
        if output == "-":
            with tempfile.NamedTemporaryFile("r+", suffix=".csv", encoding="utf-8") as fh:
                n = write_corrections(fh.name, everything=everything, audit=True)
                self.stdout.write(Path(fh.name).read_text(encoding="utf-8"), ending="")
        else:
            n = write_corrections(output, everything=everything, audit=True)
            self.stderr.write(f"已导出 {n} 条 → {output}")

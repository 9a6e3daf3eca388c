"""The triage seam. `suggest()` is what intake and the operator pages call. It uses the trained
model when one is present (issue 5) and falls back to the catalogue keyword rules, saying so."""

import logging
import os
import threading
from dataclasses import dataclass, field, fields

from sanshi.catalog.selectors import current_version

from .rules import RuleItem, keyword_suggestion

log = logging.getLogger("sanshi.triage")
MANUAL_THRESHOLD = 0.35
_lock = threading.Lock()
_rule_cache: dict[int, list[RuleItem]] = {}


@dataclass(frozen=True)
class Suggestion:
    kind: str | None
    catalogue_code: str | None
    confidence: float
    evidence: list[str] = field(default_factory=list)
    method: str = "keywords"
    manual: bool = False
    reason: str = ""
    department: str | None = None
    urgent: bool = False
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The suggestion as stored on the request and returned by the API. Its values are strings,
        numbers, booleans and None, or flat lists and dicts of those, so copying the containers one
        level deep gives the caller its own (dataclasses.asdict's recursive deepcopy took ~33 µs of
        every intake; this takes ~2)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["evidence"] = list(self.evidence)
        out["details"] = {k: list(v) if isinstance(v, list) else v for k, v in self.details.items()}
        return out


def _rule_items() -> list[RuleItem]:
    version = current_version()
    if version is None:
        return []
    with _lock:
        if version.pk not in _rule_cache:
            _rule_cache.clear()
            _rule_cache[version.pk] = [
                RuleItem(i.code, i.kind, tuple(i.keywords), tuple(i.examples)) for i in version.items.all()
            ]
        return _rule_cache[version.pk]


_model_cache: dict[str, tuple[float, object]] = {}


def loaded_model():
    """The trained model at SANSHI_TRIAGE_MODEL_PATH, loaded once per process (reloaded when the
    file changes); None when there is none (then the keyword rules are used, and say so)."""
    from django.conf import settings

    path = settings.SANSHI_TRIAGE_MODEL_PATH
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        return None
    with _lock:
        cached = _model_cache.get(path)
        if cached is None or cached[0] != mtime:
            from .ml import TriageModel

            try:
                _model_cache[path] = (mtime, TriageModel.load(path))
            except Exception:  # noqa: BLE001 — a broken model file must not stop intake
                log.exception("triage model at %s could not be loaded; using keyword rules", path)
                _model_cache[path] = (mtime, None)
            else:  # the model lives as long as the process: keep its objects out of every full GC pass
                from sanshi.core.warmup import keep_out_of_gc

                keep_out_of_gc()
        return _model_cache[path][1]


def suggest(*, text: str, title: str = "") -> Suggestion:
    model = loaded_model()
    if model is not None:
        return _from_model(model.predict(text, title))
    full = f"{title}\n{text}" if title else text
    kind, code, confidence, evidence = keyword_suggestion(full, _rule_items())
    if kind is None:
        return Suggestion(None, None, 0.0, [], manual=True, reason="未训练分拣模型，且未匹配到清单关键词，请人工分拣")
    manual = confidence < MANUAL_THRESHOLD
    return Suggestion(kind, code, confidence, evidence, manual=manual,
                      reason="未训练分拣模型，按清单关键词建议" + ("，置信度较低，请人工确认" if manual else ""))


# the model's 7 first-level categories → the district departments seeded in registry 0002
DEPARTMENT_CODES = {"城乡建设": "ZJ", "劳动和社会保障": "RS", "教育文体": "JY", "商贸旅游": "SCJG",
                    "卫生计生": "WJ", "环境保护": "STHJ", "交通运输": "JT"}


def _from_model(result) -> Suggestion:
    from .ml import merge_evidence

    kind = result.kind.label or None
    code = result.catalogue.label or None
    if kind and code and code[0] != kind[0]:  # keep the item inside the predicted kind
        code = None
    department = result.department.label or None
    return Suggestion(
        kind=None if result.manual and not kind else kind, catalogue_code=code,
        confidence=round(float(result.kind.probability), 3),
        evidence=merge_evidence(result.kind.evidence, result.catalogue.evidence, k=6),
        method="model", manual=result.manual, reason=result.reason,
        department=DEPARTMENT_CODES.get(department) if department else None,
        urgent=result.urgent.label == "true",
        details={"catalogue_probability": round(float(result.catalogue.probability), 3),
                 "department": department, "department_probability": round(float(result.department.probability), 3),
                 "department_evidence": result.department.evidence[:5],
                 "urgent_probability": round(float(result.urgent.probability), 3),
                 "urgent_evidence": result.urgent.evidence[:5], "model_version": result.model_version},
    )


def record_decision(*, actor, request, kind: str, catalogue_code: str, urgent: bool = False,
                    department: str = ""):
    """Store the operator's decision beside the suggestion (call inside the triage transaction)."""
    from .models import TriageDecision

    suggestion = request.suggestion or {}
    corrected = (suggestion.get("kind"), suggestion.get("catalogue_code")) != (kind, catalogue_code) or (
        bool(department) and department != (suggestion.get("department") or ""))
    return TriageDecision.objects.create(
        request=request, title=request.title, text=request.text, suggested_kind=suggestion.get("kind") or "",
        suggested_code=suggestion.get("catalogue_code") or "", suggestion_method=suggestion.get("method") or "",
        kind=kind, catalogue_code=catalogue_code, department=department, urgent=urgent, corrected=corrected,
        actor=actor if getattr(actor, "is_authenticated", False) else None)

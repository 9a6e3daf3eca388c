"""The triage seam. `suggest()` is what intake and the operator pages call. It uses the trained
model when one is present (issue 5) and falls back to the catalogue keyword rules, saying so."""

import logging
import threading
from dataclasses import asdict, dataclass, field

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

    def as_dict(self) -> dict:
        return asdict(self)


def _rule_items() -> list[RuleItem]:
    from sanshi.catalog.selectors import current_version

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


def suggest(*, text: str, title: str = "") -> Suggestion:
    full = f"{title}\n{text}" if title else text
    kind, code, confidence, evidence = keyword_suggestion(full, _rule_items())
    if kind is None:
        return Suggestion(None, None, 0.0, [], manual=True, reason="未匹配到清单关键词，请人工分拣")
    manual = confidence < MANUAL_THRESHOLD
    return Suggestion(kind, code, confidence, evidence, manual=manual,
                      reason="置信度较低，请人工确认" if manual else "")


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

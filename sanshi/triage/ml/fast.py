"""Plain-numpy inference for the fitted scikit-learn parts (sklearn's per-call input
validation costs more than the arithmetic for one message). Results match sklearn's.

Feature rows are `Rows` (CSR arrays without scipy): building a scipy matrix validates its
arrays on every construction and product, which cost more than the arithmetic for one message
(about half of a one-message prediction: 4.2 → 2.1 ms of CPU when it was removed)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

_WS2 = re.compile(r"\s\s+")


def count_ngrams(docs: list[str], lo: int, hi: int, lower: bool = True) -> list[Counter]:
    out = []
    for d in docs:
        s = _WS2.sub(" ", d.lower() if lower else d)
        c: Counter = Counter()
        for n in range(lo, hi + 1):
            c.update(s[i:i + n] for i in range(len(s) - n + 1))
        out.append(c)
    return out


class Rows:
    """Sparse feature rows in CSR layout (indptr, indices, data) and their product with a dense
    weight matrix, computed row by row: a batch gives each message exactly the numbers it gets
    alone."""

    __slots__ = ("indptr", "indices", "data", "n_features")

    def __init__(self, indptr, indices, data, n_features: int):
        self.indptr, self.indices, self.data, self.n_features = indptr, indices, data, n_features

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.indptr) - 1, self.n_features

    @classmethod
    def from_dense(cls, M: np.ndarray) -> Rows:
        if M.shape[0] == 1:  # one message
            c = np.flatnonzero(M[0])
            return cls(np.array([0, len(c)]), c, M[0, c], M.shape[1])
        r, c = np.nonzero(M)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=M.shape[0]))])
        return cls(indptr, c, M[r, c], M.shape[1])

    def __mul__(self, c) -> Rows:
        return Rows(self.indptr, self.indices, self.data * self.data.dtype.type(c), self.n_features)

    __rmul__ = __mul__

    def __matmul__(self, W: np.ndarray) -> np.ndarray:
        out = np.zeros((self.shape[0], W.shape[1]), dtype=np.result_type(self.data, W))
        for i in range(self.shape[0]):
            a, b = self.indptr[i], self.indptr[i + 1]
            if b > a:
                out[i] = self.data[a:b] @ W[self.indices[a:b]]
        return out


def hstack(blocks: list[Rows], dtype=None) -> Rows:
    """Blocks side by side (each block's indices sorted within a row: so are the result's)."""
    n = blocks[0].shape[0]
    if len(blocks) == 1 and dtype is None:
        return blocks[0]
    if n == 1:  # one message (the intake path): the blocks' entries one after another
        offsets = np.cumsum([0] + [b.n_features for b in blocks])
        values = np.concatenate([b.data for b in blocks])
        return Rows(np.array([0, len(values)]),
                    np.concatenate([b.indices.astype(np.int64) + off for b, off in zip(blocks, offsets[:-1], strict=True)]),
                    values.astype(dtype, copy=False) if dtype is not None else values, int(offsets[-1]))
    rows, cols, data, off = [], [], [], 0
    for b in blocks:
        rows.append(np.repeat(np.arange(n), np.diff(b.indptr)))
        cols.append(b.indices.astype(np.int64) + off)
        data.append(b.data)
        off += b.n_features
    r = np.concatenate(rows)
    order = np.argsort(r, kind="stable")  # blocks in column order: stays sorted within a row
    values = np.concatenate(data)
    if dtype is not None:
        values = values.astype(dtype, copy=False)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))])
    return Rows(indptr, np.concatenate(cols)[order], values[order], off)


class FastTfidf:
    """transform() of a fitted char-analyzer TfidfVectorizer (sublinear tf, l2 norm)."""

    def __init__(self, vec):
        assert vec.analyzer == "char" and vec.norm == "l2"
        self.vocab = dict(vec.vocabulary_)
        self.idf = vec.idf_.astype(np.float32)
        self.lo, self.hi = vec.ngram_range
        self.lower = vec.lowercase
        self.sublinear = vec.sublinear_tf
        self.n_features = len(self.idf)
        # numeric keys of the n-grams (1-2 characters): code point, or (cp1 << 21 | cp2) + 2**42
        self.numeric = self.lo >= 1 and self.hi <= 2
        if self.numeric:
            keys, cols = [], []
            for g, j in self.vocab.items():
                k = _key(g)
                if k is not None:
                    keys.append(k)
                    cols.append(j)
            order = np.argsort(keys)
            self.keys = np.asarray(keys, dtype=np.int64)[order]
            self.cols = np.asarray(cols, dtype=np.int64)[order]

    def _grams(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """The document's distinct n-gram keys (sorted) and their counts."""
        s = _WS2.sub(" ", doc.lower() if self.lower else doc)
        cp = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        parts = []
        if self.lo <= 1:
            parts.append(cp)
        if self.hi >= 2 and len(cp) > 1:
            parts.append(((cp[:-1] << 21) | cp[1:]) + _BI)
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.unique(np.concatenate(parts) if len(parts) > 1 else parts[0], return_counts=True)

    def _row(self, doc: str, grams=None):
        u, cnt = self._grams(doc) if grams is None else grams
        if not len(u):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        pos = np.searchsorted(self.keys, u)
        pos[pos >= len(self.keys)] = 0
        hit = self.keys[pos] == u
        return self.cols[pos[hit]], cnt[hit].astype(np.float32)

    def same_grams(self, other: FastTfidf) -> bool:
        """Whether `other.counts(docs)` can stand for this vectoriser's own (same n-grams)."""
        return (self.numeric, self.lo, self.hi, self.lower) == (other.numeric, other.lo, other.hi, other.lower)

    def counts(self, docs: list[str]) -> list:
        """The documents' n-grams with their counts, to pass to `transform` of this vectoriser or of
        another one that reads the same n-grams (`same_grams`): two vectorisers over one text count
        its n-grams once."""
        if self.numeric:
            return [self._grams(d) for d in docs]
        return count_ngrams(docs, self.lo, self.hi, self.lower)

    def transform(self, docs: list[str], counts: list | None = None) -> Rows:
        if self.numeric:
            return self._transform_numeric(docs, counts)
        indptr, indices, data = [0], [], []
        vocab = self.vocab
        for c in counts if counts is not None else self.counts(docs):
            idx, val = [], []
            for g, k in c.items():
                j = vocab.get(g)
                if j is not None:
                    idx.append(j)
                    val.append(k)
            if idx:
                v = np.asarray(val, dtype=np.float32)
                if self.sublinear:
                    v = np.log(v) + 1.0
                ii = np.asarray(idx)
                v *= self.idf[ii]
                v /= np.sqrt((v * v).sum())
                order = np.argsort(ii)
                indices.extend(ii[order].tolist())
                data.extend(v[order].tolist())
            indptr.append(len(indices))
        return Rows(np.asarray(indptr), np.asarray(indices, dtype=np.int64), np.asarray(data, dtype=np.float32),
                    self.n_features)


    def _transform_numeric(self, docs: list[str], counts: list | None = None) -> Rows:
        indptr, indices, data = [0], [], []
        for n, d in enumerate(docs):
            ii, v = self._row(d, counts[n] if counts is not None else None)
            if len(ii):
                if self.sublinear:
                    v = np.log(v) + 1.0
                v *= self.idf[ii]
                v /= np.sqrt((v * v).sum())
                order = np.argsort(ii)
                indices.append(ii[order])
                data.append(v[order])
            indptr.append(indptr[-1] + len(ii))
        return Rows(np.asarray(indptr), np.concatenate(indices) if indices else np.zeros(0, np.int64),
                    np.concatenate(data) if data else np.zeros(0, np.float32), self.n_features)


_BI = 1 << 42


def _key(g: str):
    if len(g) == 1:
        return ord(g)
    if len(g) == 2:
        return ((ord(g[0]) << 21) | ord(g[1])) + _BI
    return None


def linear(clf) -> tuple[np.ndarray, np.ndarray]:
    """(W: n_features × n_classes, b) of a fitted linear classifier."""
    return np.ascontiguousarray(clf.coef_.T, dtype=np.float32), clf.intercept_.astype(np.float32)


def softmax_proba(scores: np.ndarray) -> np.ndarray:
    if scores.shape[1] == 1:  # binary logistic regression
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1 - p, p])
    z = scores - scores.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


class FastCalibrated:
    """predict_proba of CalibratedClassifierCV(LinearSVC, method='sigmoid', ensemble=True)."""

    def __init__(self, cal):
        self.parts = []
        n = len(cal.classes_)
        Ws, bs = [], []
        for cc in cal.calibrated_classifiers_:
            W, b = linear(cc.estimator)
            a = np.array([c.a_ for c in cc.calibrators], dtype=np.float64)
            bb = np.array([c.b_ for c in cc.calibrators], dtype=np.float64)
            pos = np.searchsorted(cal.classes_, cc.estimator.classes_)
            self.parts.append((W.shape[1], a, bb, pos))
            Ws.append(W)
            bs.append(b)
        # all the folds' linear models in one matrix: one sparse product per batch
        self.W, self.b = np.ascontiguousarray(np.hstack(Ws)), np.concatenate(bs)
        self.n = n
        # every fold a one-vs-rest model over all the classes (the usual case): the folds' sigmoids
        # as (folds × classes) arrays, computed together
        self.stacked = None
        if n > 2 and all(w == n and np.array_equal(pos, np.arange(n)) for w, _, _, pos in self.parts):
            self.stacked = (np.vstack([a for _, a, _, _ in self.parts]), np.vstack([bb for _, _, bb, _ in self.parts]))

    def predict_proba(self, X) -> np.ndarray:
        F = np.asarray(X @ self.W) + self.b
        if self.stacked is not None:
            a, bb = self.stacked
            P = 1.0 / (1.0 + np.exp(a * F.reshape(X.shape[0], len(self.parts), self.n) + bb))
            s = P.sum(2, keepdims=True)
            P = np.divide(P, s, out=np.full_like(P, 1 / self.n), where=s != 0)
            return P.sum(1) / len(self.parts)
        out = np.zeros((X.shape[0], self.n))
        start = 0
        for width, a, bb, pos in self.parts:
            f = F[:, start:start + width]
            start += width
            if f.shape[1] == 1:
                p1 = 1.0 / (1.0 + np.exp(a[0] * f[:, 0] + bb[0]))
                P = np.column_stack([1 - p1, p1])
            else:
                P = np.zeros((X.shape[0], self.n))
                P[:, pos] = 1.0 / (1.0 + np.exp(a * f + bb))
                s = P.sum(1, keepdims=True)
                P = np.divide(P, s, out=np.full_like(P, 1 / self.n), where=s != 0)
            out += P
        return out / len(self.parts)

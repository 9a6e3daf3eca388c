import random

import pytest

from sanshi.catalog.baseline import ITEMS
from sanshi.triage.ml import TriageModel

from .fixture import DEPT_MESSAGES, DEPT_TAXONOMY, KIND_MESSAGES


def kind_rows(part: str):
    """Rows of our fixture; part "train" (2/3 of each class), "test" (the rest) or "all"."""
    rows = []
    for kind, msgs in KIND_MESSAGES.items():
        items = list(msgs)
        random.Random(0).shuffle(items)
        cut = len(items) * 2 // 3
        chosen = {"train": items[:cut], "test": items[cut:], "all": items}[part]
        for i, (code, text) in enumerate(chosen):
            rows.append({"id": f"{kind}-{part}-{i}", "title": "", "text": text, "label": kind, "code": code})
    return rows


def dept_rows():
    return [{"id": f"d{i}-{j}", "title": "", "text": t, "label": d}
            for i, (d, msgs) in enumerate(DEPT_MESSAGES.items()) for j, t in enumerate(msgs)]


@pytest.fixture(scope="session")
def model():
    return TriageModel.train(kind_rows=kind_rows("train"), dept_rows=dept_rows(), catalogue_items=ITEMS,
                             cross_validation=False, taxonomy=DEPT_TAXONOMY)

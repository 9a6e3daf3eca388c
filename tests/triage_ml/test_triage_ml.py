import io
import json
import re

import numpy as np
import pytest

from sanshi.catalog.baseline import ITEMS
from sanshi.triage.ml import (
    DEPARTMENT_TO_DISTRICT,
    Prediction,
    TriageModel,
    TriageResult,
    cmd_classify,
    cmd_eval,
    cmd_train,
    hotspots,
    manual_reason,
    merge_evidence,
    most_similar,
    read_corrections,
    read_rows,
)
from sanshi.triage.ml.io import file_kind, read_taxonomy
from sanshi.triage.ml.model import fit_department, predict_department, taxonomy_terms

from .conftest import dept_rows, kind_rows
from .fixture import DEPT_TAXONOMY, NOT_URGENT_TEST, URGENT_TEST


def test_heldout_kind_accuracy_well_above_chance(model):
    test = kind_rows("test")
    res = model.predict_many([(r["title"], r["text"]) for r in test])
    acc = sum(r.kind.label == t["label"] for r, t in zip(res, test, strict=True)) / len(test)
    assert acc >= 0.7  # chance (3 balanced classes) is 0.33
    cat_ok = sum(r.catalogue.label[:1] == r.kind.label[:1] for r in res)
    assert cat_ok == len(res)  # the catalogue item always belongs to the predicted kind


def test_prediction_shape(model):
    r = model.predict("单元楼的电梯坏了一个星期，物业一直不修", title="电梯坏了")
    assert isinstance(r, TriageResult) and isinstance(r.kind, Prediction)
    assert r.kind.label in ("PUBLIC", "SHARED", "HOUSEHOLD")
    assert 0.0 <= r.kind.probability <= 1.0 and 0.0 <= r.urgent.probability <= 1.0
    assert r.kind.evidence and all(isinstance(e, str) for e in r.kind.evidence)
    assert r.department.label in DEPARTMENT_TO_DISTRICT or r.department.label in {"教育文体", "劳动和社会保障", "交通运输"}
    assert r.urgent.label in ("true", "false")
    d = r.as_dict()
    json.dumps(d, ensure_ascii=False)
    assert set(d) >= {"kind", "catalogue", "department", "urgent", "manual", "reason", "model_version"}


@pytest.mark.parametrize("text", [
    "😀😀🙏🙏🔥", "你好啊", "abc", "The elevator in building 3 has been broken for a week, please fix it.",
    "", "   ", "？？？！！！。。。", "12345678", "哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈",
])
def test_manual_when_text_gives_nothing(model, text):
    assert manual_reason(text)
    r = model.predict(text)
    assert r.manual is True and r.reason
    assert r.kind.probability <= 0.34


def test_manual_for_random_noise(model):
    import random

    rng = random.Random(1)
    cjk_noise = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(4000))
    ascii_noise = "".join(chr(rng.randint(33, 126)) for _ in range(4000))
    common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
    common_noise = "".join(rng.choice(common) for _ in range(4000))
    for noise in (cjk_noise, ascii_noise, common_noise):
        r = model.predict(noise)
        assert r.manual is True and r.reason, noise[:20]


def test_long_real_text_is_not_manual(model):
    text = "我们小区的电梯经常坏，物业不修。" * 200  # 3,000+ characters of repeated but real text
    r = model.predict(text)
    assert r.kind.label in ("PUBLIC", "SHARED", "HOUSEHOLD")


def test_never_raises_on_odd_input(model):
    for odd in [None, "\x00\x01", "\u200b" * 50, "𠀀𠀁𠀂𠀃𠀄" * 10, "A" * 10000]:
        r = model.predict(odd)  # type: ignore[arg-type]
        assert isinstance(r, TriageResult)


def test_urgent_detection(model):
    for s in URGENT_TEST:
        r = model.predict(s)
        assert r.urgent.label == "true", (s, r.urgent)
        assert r.urgent.evidence
    for s in NOT_URGENT_TEST:
        r = model.predict(s)
        assert r.urgent.label == "false", (s, r.urgent)


# each names a category of the test taxonomy that no training message contains
TAXONOMY_CASES = [
    ("快递员把包裹扔在门口就走了", "交通运输", "快递"),
    ("体育馆周末不对外开放，想锻炼都没地方", "教育文体", "体育馆"),
    ("招聘会上的企业要求先交押金才给面试", "劳动和社会保障", "招聘会"),
]


@pytest.mark.parametrize(("text", "dept", "term"), TAXONOMY_CASES)
def test_taxonomy_term_steers_department(model, text, dept, term):
    """A department's category name from the taxonomy pulls a message towards it and is shown
    as evidence, although no training message contains the name."""
    r = model.predict(text)
    assert r.department.label == dept and term in r.department.evidence
    plain = fit_department(dept_rows(), taxonomy=())  # the same data without the taxonomy
    assert "lex" not in plain
    label, p_plain, ev_plain = predict_department(plain, [text])[0]
    assert term not in ev_plain
    assert r.department.probability > (p_plain if label == dept else 0.0)


def test_taxonomy_terms_and_files(tmp_path):
    terms = taxonomy_terms([("城乡建设", "城市建设和市政管理", "园林绿化"), ("卫生计生", "医政监管", "医疗技术和服务"),
                            ("城乡建设", "其他", "其他"), ("农村农业", "农业生产", "种子")],
                           ["城乡建设", "卫生计生"])
    assert {"城市建设和市政管理", "城市建设", "市政管理", "园林绿化", "医政监管", "医疗技术和服务", "医疗技术"} == set(terms)
    # 服务 (a part of < 3 characters), 其他 and departments outside the classes are left out
    p = tmp_path / "taxonomy.csv"
    p.write_text("一级分类,二级分类,三级分类\n" + "".join(",".join(r) + "\n" for r in DEPT_TAXONOMY),
                 encoding="utf-8")
    assert file_kind(p) == "taxonomy" and read_taxonomy(p) == DEPT_TAXONOMY


def test_department_model_from_before_still_predicts(monkeypatch):
    """Department parts trained before the head block and the taxonomy lexicon (only "vec",
    "clf", "coef", "names", "classes") still predict, as scikit-learn would."""
    import sanshi.triage.ml.model as m

    monkeypatch.setattr(m, "DEPT_HEAD_CHARS", 0)
    core = fit_department(dept_rows(), taxonomy=())
    assert set(core) == {"vec", "clf", "coef", "names", "classes"}
    texts = ["公交车司机开车太猛，乘客摔倒了", "学校收费太高", "社保断缴了怎么办"]
    got = predict_department(core, texts)
    P = core["clf"].predict_proba(core["vec"].transform(texts))
    assert [g[0] for g in got] == [core["classes"][j] for j in P.argmax(1)]
    # scikit-learn's own predict_proba (only its input checks skipped): the very same numbers
    assert [g[1] for g in got] == [float(p) for p in P.max(1)]


def test_department_is_one_svm_with_one_temperature(model):
    """Given the trained model, then its department is one SVM fitted on every row, calibrated on
    cross-validated decision values: a message goes through one classifier and one calibrator,
    not five fold SVMs with seven sigmoids each."""
    clf = model.state["department"]["clf"]
    assert clf.ensemble is False and clf.method == "temperature"
    assert len(clf.calibrated_classifiers_) == 1
    assert model.report["department_classifier"] == "temperature × 1"  # in the info file beside it


def test_model_file_with_five_calibrated_department_folds_still_loads(monkeypatch, tmp_path):
    """Given a model file written before session 13 (the department as five sigmoid-calibrated
    fold SVMs), when this code loads it, then it predicts what it predicted when it was saved."""
    import sanshi.triage.ml.model as m

    monkeypatch.setattr(m, "DEPT_CALIBRATION", "sigmoid")
    monkeypatch.setattr(m, "DEPT_ENSEMBLE", True)
    old = TriageModel.train(kind_rows=kind_rows("train"), dept_rows=dept_rows(), catalogue_items=ITEMS,
                            cross_validation=False, taxonomy=DEPT_TAXONOMY)
    assert len(old.state["department"]["clf"].calibrated_classifiers_) > 1
    assert old.report["department_classifier"].startswith("sigmoid × ")
    old.save(tmp_path / "old.pkl")
    monkeypatch.undo()
    texts = [("", "公交车司机开车太猛，乘客摔倒了"), ("学校收费", "学校周末补课收费太高"), ("", "社保断缴了怎么办")]
    loaded = TriageModel.load(tmp_path / "old.pkl")
    assert [r.as_dict() for r in loaded.predict_many(texts)] == [r.as_dict() for r in old.predict_many(texts)]


def test_feature_blocks_are_joined_as_scipy_stacks_them():
    """The prediction's feature matrix (TF-IDF blocks beside a dense lexicon block) is exactly the
    matrix sp.hstack(format="csr") gives, empty rows included: same values, order and dtype."""
    import scipy.sparse as sp

    from sanshi.triage.ml.model import _side_by_side

    rng = np.random.default_rng(0)
    a = rng.random((5, 7)).astype(np.float32) * (rng.random((5, 7)) < 0.4)
    a[2] = 0  # a message with no known n-gram
    lex = rng.random((5, 3)) * (rng.random((5, 3)) < 0.5)
    lex[4] = 0
    b = rng.random((5, 4)).astype(np.float32) * (rng.random((5, 4)) < 0.3)
    for rows in (slice(None), slice(1, 2), slice(2, 3)):
        blocks = [sp.csr_matrix(a[rows]), lex[rows], sp.csr_matrix(b[rows])]
        got = _side_by_side(blocks)
        want = sp.hstack([blocks[0], sp.csr_matrix(blocks[1]), blocks[2]], format="csr")
        assert got.shape == want.shape and got.dtype == want.dtype
        assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
        assert np.array_equal(got.data, want.data)


def test_kind_and_catalogue_probabilities_are_scikit_learns_own(model):
    """The kind and catalogue classifiers predict through their own predict_proba on the features
    they were fitted on (TF-IDF beside the weighted rubric lexicon): no re-implementation."""
    import scipy.sparse as sp

    from sanshi.triage.ml.model import KINDS, LEX_WEIGHT, compose, predict_kind

    core = {**model.state["kind"], "mult": np.ones(3), "reliability": {}}
    docs = [compose(t["title"], t["text"]) for t in kind_rows("test")]
    X = sp.hstack([core["vec"].transform(docs), sp.csr_matrix(LEX_WEIGHT * core["lex"].matrix(docs))], format="csr")
    P = core["kind_clf"].predict_proba(X)[:, [list(core["kind_clf"].classes_).index(k) for k in KINDS]]
    P = P / P.sum(1, keepdims=True)
    C = core["cat_clf"].predict_proba(X)
    got = predict_kind(core, docs)
    assert [g[0] for g in got] == [KINDS[j] for j in P.argmax(1)]
    assert [g[1] for g in got] == pytest.approx(P.max(1).tolist(), rel=1e-12)
    cat = list(core["cat_clf"].classes_)
    for g, c in zip(got, C, strict=True):
        if g[3]:
            assert c[cat.index(g[3])] == max(c[j] for j, code in enumerate(cat) if core["code_kind"].get(code) == g[0])


def test_save_load_round_trip(model, tmp_path):
    p = tmp_path / "m.joblib"
    model.save(p)
    m2 = TriageModel.load(p)
    text = "楼上邻居家漏水把我家天花板泡坏了"
    assert m2.predict(text).as_dict() == model.predict(text).as_dict()
    assert m2.model_version == model.model_version


def test_model_file_from_before_still_loads(model, tmp_path):
    """Model files written by the earlier joblib-based save() load and predict the same."""
    import joblib

    p = tmp_path / "old.joblib"
    state = {k: ({kk: vv for kk, vv in v.items() if kk != "_derived"} if isinstance(v, dict) else v)
             for k, v in model.state.items()}
    joblib.dump(state, p, compress=3)
    text = "小区物业不修电梯，业主们很有意见"
    assert TriageModel.load(p).predict(text).as_dict() == model.predict(text).as_dict()


def test_batch_equals_single_predictions(model):
    """predict_many (the batch path) gives exactly what predict gives, message by message,
    including the evidence and the manual-triage results for junk."""
    items = [(r["title"], r["text"]) for r in kind_rows("test")] + [("", "😀😀😀"), ("", "ok"), ("", "哈" * 300)]
    batch = model.predict_many(items)
    assert [r.as_dict() for r in batch] == [model.predict(text, title=title).as_dict() for title, text in items]
    assert sum(bool(r.kind.evidence) for r in batch[:-3]) >= 0.8 * (len(batch) - 3)
    assert all(r.manual for r in batch[-3:])


def test_load_missing_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        TriageModel.load(tmp_path / "nope.joblib")


def test_correction_changes_next_training(model, tmp_path):
    text = "我家门口的路灯坏了"
    before = model.predict(text)
    target = "HOUSEHOLD" if before.kind.label != "HOUSEHOLD" else "SHARED"
    code = {"HOUSEHOLD": "H6", "SHARED": "S5"}[target]
    csv_path = tmp_path / "corrections.csv"
    csv_path.write_text("text,title,kind,catalogue_code,department,urgent\n"
                        f"{text},,{target},{code},,\n", encoding="utf-8")
    corr = read_corrections(csv_path)
    assert corr == [{"text": text, "title": "", "kind": target, "catalogue_code": code,
                     "department": "", "urgent": None}]
    m2 = TriageModel.train(kind_rows=kind_rows("train"), dept_rows=dept_rows(), catalogue_items=ITEMS,
                           corrections=corr, cross_validation=False)
    after = m2.predict(text)
    assert after.kind.label == target and after.catalogue.label == code


def _write(path, rows, cols):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def test_cmd_train_eval_classify(tmp_path):
    kp, dp, mp = tmp_path / "kind.csv", tmp_path / "dept.csv", tmp_path / "m.joblib"
    _write(kp, kind_rows("train"), ["id", "title", "text", "label", "code"])
    _write(dp, dept_rows(), ["id", "title", "text", "label"])
    (tmp_path / "taxonomy.csv").write_text(  # found beside the department file
        "一级分类,二级分类,三级分类\n" + "".join(",".join(r) + "\n" for r in DEPT_TAXONOMY), encoding="utf-8")
    out = io.StringIO()
    m = cmd_train([str(kp), str(dp)], str(mp), ITEMS, out, cross_validation=False)
    assert "[2/4]" in out.getvalue() and mp.exists()
    assert "（taxonomy）" in out.getvalue() and m.report["n_taxonomy_terms"] > 10
    assert len(read_rows(kp)) == len(kind_rows("train"))

    tp = tmp_path / "test.csv"
    _write(tp, kind_rows("test"), ["id", "title", "text", "label"])
    out = io.StringIO()
    summary = cmd_eval(str(tp), "kind", str(mp), out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(last) == {"target", "n", "accuracy", "macro_f1"}
    assert last == summary and last["target"] == "kind" and last["n"] == len(kind_rows("test"))
    assert "confusion" in out.getvalue()

    out = io.StringIO()
    cmd_eval(str(dp), "department", str(mp), out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["target"] == "department"

    out = io.StringIO()
    cmd_classify(["小区停车费太贵了", "😀"], str(mp), out)
    lines = [json.loads(x) for x in out.getvalue().strip().splitlines()]
    assert len(lines) == 2 and lines[1]["manual"] is True
    assert {"kind", "catalogue", "department", "urgent"} <= set(lines[0])
    assert "小区" in out.getvalue()  # ensure_ascii=False


def test_similar_and_hotspots():
    cands = ["小区电梯坏了一个星期没人修", "学校门口需要红绿灯", "邻居家漏水泡坏天花板", "电梯又坏了，物业不修"]
    top = most_similar("我们楼的电梯坏了好几天", cands, k=2)
    assert {i for i, _ in top} == {0, 3}
    items = [
        {"id": 1, "text": "3栋电梯坏了，困过人", "group": "A小区", "kind": "SHARED"},
        {"id": 2, "text": "3栋的电梯又坏了", "group": "A小区", "kind": "SHARED"},
        {"id": 3, "text": "电梯坏了好几天了，3栋", "group": "A小区", "kind": "SHARED"},
        {"id": 4, "text": "门口路灯不亮", "group": "A小区", "kind": "PUBLIC"},
        {"id": 5, "text": "垃圾没人清运", "group": "B小区", "kind": "PUBLIC"},
        {"id": 6, "text": "垃圾几天没人清运了", "group": "C小区", "kind": "PUBLIC"},
        {"id": 7, "text": "路边垃圾没人清运", "group": "D小区", "kind": "PUBLIC"},
    ]
    hs = hotspots(items, min_size=3, threshold=0.1)
    ids = [sorted(h["ids"]) for h in hs]
    assert [1, 2, 3] in ids and [5, 6, 7] in ids
    street = next(h for h in hs if sorted(h["ids"]) == [5, 6, 7])
    assert street["scope"] == "street" and street["size"] == 3 and "垃圾" in street["label"]
    assert hotspots(items, min_size=5) == []


def test_a_hotspot_is_labelled_with_the_phrases_its_requests_write():
    """The label joins overlapping n-grams into what the requests actually say, and drops
    punctuation and Latin letters at its ends (it used to read "单车乱 车乱停 山大 共享单")."""
    texts = ["鼎山大道人行道上共享单车乱停乱放，盲道被占了！", "鼎山大道共享单车乱停乱放，行人只能走机动车道!",
             "共享单车乱停乱放，鼎山大道的盲道全被占了。", "A区鼎山大道公交站前共享单车乱停乱放"]
    items = [{"id": i, "text": t, "group": f"G{i}"} for i, t in enumerate(texts)]
    items += [{"id": 10 + i, "text": t, "group": "G9"} for i, t in enumerate(["电梯坏了没人修", "楼道灯不亮", "垃圾没人清运"])]
    (street,) = hotspots(items, min_size=3, threshold=0.2)
    phrases = street["label"].split()
    assert "共享单车乱停乱放" in phrases or "共享单车乱停" in phrases, phrases
    assert any("鼎山大道" in p for p in phrases), phrases
    assert all(re.fullmatch(r"[\u4e00-\u9fff].*[\u4e00-\u9fff]", p) for p in phrases), phrases
    # every phrase is written in the requests: nothing is made up by the joining
    assert all(any(p in t for t in texts) for p in phrases), phrases


def test_evidence_is_clean_chinese_phrases():
    """What the operator reads as evidence: stretches of the text covered by the n-grams that pushed
    most, split at punctuation and digits, weak end characters and particles trimmed, pronouns left
    out, strongest first (the n-gram weights here are made up so the expected phrases are known)."""
    import numpy as np

    from sanshi.triage.ml.model import _spans

    doc = "3号楼电梯经常坏,物业不管的，我们"
    pushes = {"号楼": 0.2, "电梯": 1.0, "梯经": 0.1, "坏,": 0.3, "物业": 0.9, "业不": 0.3, "不管": 0.5,
              "管的": 0.4, "我们": 0.8, "常": 0.9}
    names = np.array(list(pushes))
    weights = np.array(list(pushes.values()))
    x = (np.arange(len(names)), np.ones(len(names)))
    assert _spans(doc, x, weights, names) == ["物业不管", "电梯"]

    merged = merge_evidence(["物业不管", "电梯"], ["电梯维修", "物业"], k=6)
    assert merged == ["物业不管", "电梯维修"]


def test_the_kind_probability_shown_is_how_often_that_kind_is_right():
    """The class multipliers that buy macro-F1 inflate the rare kinds' probability: in the
    cross-validation of the real data a HOUSEHOLD suggestion shown at 0.75 was right 23 % of the
    time. The probability shown is the out-of-fold rate at which the named kind was right."""
    from sanshi.triage.ml.model import KINDS, _fit_reliability

    rng = np.random.default_rng(0)
    rows, y = [], []
    for _ in range(200):  # PUBLIC named at 0.9, right 9 times in 10
        rows.append([0.9, 0.05, 0.05])
        y.append("PUBLIC" if rng.random() < 0.9 else "SHARED")
    for _ in range(40):  # HOUSEHOLD named at 0.8, right 1 time in 4
        rows.append([0.1, 0.1, 0.8])
        y.append("HOUSEHOLD" if rng.random() < 0.25 else "PUBLIC")
    rel = _fit_reliability(np.array(rows), y, np.ones(3))
    assert KINDS == ["PUBLIC", "SHARED", "HOUSEHOLD"] and set(rel) == {"PUBLIC", "HOUSEHOLD"}  # SHARED never named
    household = float(np.interp(0.8, *rel["HOUSEHOLD"]))
    public = float(np.interp(0.9, *rel["PUBLIC"]))
    assert 0.1 < household < 0.4 and 0.8 < public < 0.97


def test_a_trained_model_shows_the_calibrated_kind_probability(model):
    from sanshi.triage.ml.model import compose, predict_kind

    core = model.state["kind"]
    assert core["reliability"], "fit_kind learns a reliability curve for the kinds it names"
    docs = [compose(t["title"], t["text"]) for t in kind_rows("test")]
    raw = predict_kind({**core, "reliability": {}}, docs)  # the same model without its curve
    shown = predict_kind(core, docs)
    assert [r[0] for r in raw] == [s[0] for s in shown]  # the labels do not change
    on_curve = 0
    for (kind, p_raw, *_), (_, p_shown, *_) in zip(raw, shown, strict=True):
        if kind in core["reliability"]:
            assert p_shown == pytest.approx(float(np.interp(p_raw, *core["reliability"][kind])))
            on_curve += 1
        else:
            assert p_shown == p_raw
    assert on_curve > 0

"""The learned model behind the triage seam: commands, the model in suggestions, the keyword
fallback without a model, and operators' corrections flowing into the next training run."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from sanshi.cases.models import Case
from sanshi.triage import services as triage_services
from sanshi.triage.models import TriageDecision
from sanshi.triage.services import suggest

from ..helpers import act, submit
from ..triage_ml.conftest import dept_rows, kind_rows

ODD = "社区活动室的乒乓球台网子破了"  # our own text; the fixture model has no idea what it is


def write_csv(path, rows, fields):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def fixture_data(tmp_path):
    kind = write_csv(tmp_path / "kind.csv", kind_rows("all"), ["id", "title", "text", "label", "code"])
    dept = write_csv(tmp_path / "dept.csv", dept_rows(), ["id", "title", "text", "label"])
    return kind, dept


@pytest.fixture
def model_path(tmp_path, settings):
    settings.SANSHI_TRIAGE_MODEL_PATH = str(tmp_path / "model.joblib")
    triage_services._model_cache.clear()
    yield settings.SANSHI_TRIAGE_MODEL_PATH
    triage_services._model_cache.clear()


def test_without_a_model_triage_falls_back_to_catalogue_keywords_and_says_so(world, model_path):
    s = suggest(text="小区物业费又涨了，物业服务也不好")
    assert (s.method, s.kind, s.catalogue_code) == ("keywords", "SHARED", "S2")
    assert "未训练分拣模型" in s.reason


def test_correction_flows_into_the_next_training_run(world, client, token_for, fixture_data, model_path):
    out = io.StringIO()
    call_command("triage", "train", "--data", *fixture_data, "--no-cv", "--no-db-corrections", stdout=out)
    assert "保存模型" in out.getvalue()
    first = suggest(text=ODD)
    assert first.method == "model"

    # the operator corrects the suggestion for this text: it is stored as a correction
    created = submit(client, text=ODD, grid="T1C1-G01").json()
    assert created["suggestion"]["method"] == "model"
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    wanted_kind, wanted_code = ("SHARED", "S5") if first.kind != "SHARED" else ("PUBLIC", "P4")
    r = act(client, token_for(world.operator), case.pk, action="triage", kind=wanted_kind,
            catalogue_code=wanted_code, reason="乒乓球台属于小区共用设施")
    assert r.status_code == 200
    decision = TriageDecision.objects.get(request__case=case)
    assert decision.corrected and (decision.kind, decision.catalogue_code) == (wanted_kind, wanted_code)

    exported = io.StringIO()
    call_command("triage", "export-corrections", stdout=exported)
    rows = list(csv.DictReader(io.StringIO(exported.getvalue())))
    assert rows == [{"text": ODD, "title": "", "kind": wanted_kind, "catalogue_code": wanted_code,
                     "department": "", "urgent": "0"}]
    from sanshi.audit.models import AuditEntry

    export = AuditEntry.objects.get(event="export")
    assert (export.obj_type, export.obj_id) == ("triage_corrections", "1") and ODD not in repr(export.__dict__)

    call_command("triage", "train", "--data", *fixture_data, "--no-cv", stdout=io.StringIO())
    again = suggest(text=ODD)
    assert (again.kind, again.catalogue_code) == (wanted_kind, wanted_code)


def test_eval_and_classify_commands(world, fixture_data, model_path, tmp_path):
    call_command("triage", "train", "--data", *fixture_data, "--no-cv", stdout=io.StringIO())
    out = io.StringIO()
    call_command("triage", "eval", "--data", fixture_data[0], "--target", "kind", stdout=out)
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(last) == {"target", "n", "accuracy", "macro_f1"} and last["target"] == "kind"
    assert last["n"] == len(kind_rows("all")) and last["accuracy"] > 0.6
    csv_path = write_csv(tmp_path / "in.csv", [{"id": "1", "title": "", "text": "楼上漏水到我家卫生间"},
                                               {"id": "2", "title": "", "text": "😀😀😀"}], ["id", "title", "text"])
    out = io.StringIO()
    call_command("triage", "classify", "--csv", csv_path, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().strip().splitlines()]
    assert len(lines) == 2 and lines[1]["manual"] is True
    assert {"kind", "catalogue", "department", "urgent"} <= set(lines[0])


@pytest.mark.parametrize("text", ["😀😀😀", "好", "Please fix the street light", "乱码" + "龘靐齉" * 1300])
def test_text_that_gives_nothing_is_routed_to_manual_triage(world, fixture_data, model_path, client, text):
    call_command("triage", "train", "--data", *fixture_data, "--no-cv", stdout=io.StringIO())
    response = submit(client, text=text[:4000])
    assert response.status_code == 201
    assert response.json()["suggestion"]["manual"] is True


def test_the_server_loads_the_model_before_its_first_request_and_freezes_it(world, fixture_data, model_path):
    """`sanshi.wsgi` warms up: the model is loaded at boot, not by the first resident's request, and
    the objects the process holds for good are taken out of the garbage collector's full passes."""
    import gc

    from sanshi.triage.ml import TriageModel
    from sanshi.web.warmup import warm_up

    call_command("triage", "train", "--data", *fixture_data, "--no-cv", stdout=io.StringIO())
    gc.unfreeze()
    try:
        warm_up()
        assert model_path in triage_services._model_cache
        assert isinstance(triage_services.loaded_model(), TriageModel)
        assert gc.get_freeze_count() > 10_000  # the modules, the URLconf and the model's vocabularies
        assert suggest(text="楼上邻居半夜装修噪音扰民").method == "model"
    finally:
        gc.unfreeze()  # the rest of the suite runs with an ordinary collector


def test_with_a_trained_model_the_operator_sees_the_duplicate_and_not_the_other_matter(
        world, client, token_for, fixture_data, model_path):
    """Similar requests use the trained model's vocabulary once there is one (the method the
    bench's hand-judged pairs measure)."""
    call_command("triage", "train", "--data", *fixture_data, "--no-cv", "--no-db-corrections", stdout=io.StringIO())
    original = submit(client, text="鼎城花园3栋电梯又坏了，已经困过两次人，维修资金申请一直没有结果。", grid="T1C1-G01")
    other = submit(client, text="楼上邻居半夜装修，电钻声音吵得睡不着", grid="T1C1-G01")
    repeat = submit(client, text="鼎城花园3栋的电梯又坏了，困过人，维修资金一直申请不下来。", grid="T1C1-G01")
    case_id = {r.json()["tracking_code"]: Case.objects.get(requests__tracking_code=r.json()["tracking_code"]).pk
               for r in (original, other, repeat)}

    similar = client.get(f"/api/v1/cases/{case_id[repeat.json()['tracking_code']]}/similar",
                         **token_for(world.operator)).json()

    assert triage_services.loaded_model() is not None
    assert [s["id"] for s in similar] == [case_id[original.json()["tracking_code"]]]
    assert similar[0]["score"] >= 0.25


def test_the_stored_suggestion_is_the_whole_suggestion_and_a_copy(world, fixture_data, model_path):
    """`as_dict` (what intake stores and the API returns) holds every field, the model's details
    included, in containers of its own: changing the stored dict leaves the suggestion as it was."""
    from dataclasses import asdict

    call_command("triage", "train", "--data", *fixture_data, "--no-cv", "--no-db-corrections", stdout=io.StringIO())
    s = suggest(text="小区电梯经常坏，物业不管，老人上下楼很困难，请社区协调物业公司尽快维修")
    stored = s.as_dict()
    assert stored == asdict(s)
    assert stored["method"] == "model" and stored["details"]["model_version"]
    assert not any(a != b and a in b for a in s.evidence for b in s.evidence)  # kind and item evidence merged
    stored["evidence"].append("改过")
    stored["details"]["department_evidence"].append("改过")
    assert "改过" not in s.evidence and "改过" not in s.details["department_evidence"]

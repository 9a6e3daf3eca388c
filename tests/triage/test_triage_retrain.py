"""The learning loop: operators' corrections are learnt by a retraining run the worker queues at
night (or a street officer asks for), run in the worker's slow-jobs thread; a candidate worse than
the serving model is not put in place; the 分拣模型 page shows the model, its figures and the runs."""

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.core.jobs import run_due_jobs, slow_kinds
from sanshi.core.models import Job
from sanshi.triage import services as triage_services
from sanshi.triage.ml import read_model_info
from sanshi.triage.models import TriageDecision
from sanshi.triage.services import suggest
from sanshi.triage.training import RETRAIN_JOB, corrections_since, train_model, triage_retrain_schedule

from ..helpers import act, submit
from ..triage_ml.conftest import dept_rows, kind_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")  # TIME_ZONE: the night window is local time
ODD = "社区活动室的乒乓球台网子破了"  # our own text; the fixture model has no idea what it is


def _write(path: Path, rows, fields):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Our fixture messages laid out as the default data directory (SANSHI_TRIAGE_DATA)."""
    base = tmp_path / "data"
    _write(base / "sanshi" / "kind_dev.csv", kind_rows("all"), ["id", "title", "text", "label", "code"])
    _write(base / "teddy2020c" / "dept_train.csv", dept_rows(), ["id", "title", "text", "label"])
    monkeypatch.setenv("SANSHI_TRIAGE_DATA", str(base))
    return base


@pytest.fixture
def model_path(tmp_path, settings):
    settings.SANSHI_TRIAGE_MODEL_PATH = str(tmp_path / "model" / "triage.pkl")
    triage_services._model_cache.clear()
    yield Path(settings.SANSHI_TRIAGE_MODEL_PATH)
    triage_services._model_cache.clear()


def _correct(world, client, token_for) -> TriageDecision:
    """The operator triages our odd text as something the model did not suggest."""
    first = suggest(text=ODD)
    created = submit(client, text=ODD, grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    kind, code = ("SHARED", "S5") if first.kind != "SHARED" else ("PUBLIC", "P4")
    assert act(client, token_for(world.operator), case.pk, action="triage", kind=kind, catalogue_code=code,
               reason="乒乓球台属于小区共用设施").status_code == 200
    return TriageDecision.objects.get(request__case=case, corrected=True)


def _at(hour: int, minute: int = 0, day: int = 5):
    return time_machine.travel(datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI), tick=True)


def test_a_correction_is_learnt_by_the_nightly_run_in_the_slow_jobs_thread(
        world, client, token_for, data_dir, model_path, settings):
    settings.SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS, settings.SANSHI_TRIAGE_RETRAIN_HOUR = 1, 2
    serving = train_model(model_path=model_path, cv=False)
    decision = _correct(world, client, token_for)
    assert suggest(text=ODD).kind != decision.kind
    assert list(corrections_since(read_model_info(model_path))) == [decision]

    with _at(1, 30):  # before the night window: nothing queued
        assert triage_retrain_schedule() is None
    with _at(2, 10):
        job = triage_retrain_schedule()
        assert job is not None and job.payload == {"trigger": "nightly"}
        assert triage_retrain_schedule() is None  # once a day
        # the main loop, which sends notifications, leaves the slow run alone
        assert run_due_jobs(exclude=slow_kinds()) == 0
        assert Job.objects.get(pk=job.pk).status == Job.Status.PENDING
        assert run_due_jobs(kinds=slow_kinds()) == 1

    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.last_error
    assert job.result["replaced"] is True and job.result["corrections"] == 1
    assert job.result["previous"] == serving.model_version
    info = read_model_info(model_path)
    assert info["version"] == job.result["version"] and info["report"]["db_corrections_until"] == decision.pk
    assert corrections_since(info).count() == 0
    assert sorted(p.name for p in model_path.parent.iterdir()) == [model_path.name, model_path.name + ".json"]
    again = suggest(text=ODD)  # the web process picks up the new file by itself
    assert (again.kind, again.catalogue_code) == (decision.kind, decision.catalogue_code)
    with _at(3, 0):  # nothing new since the run: no second run the next hours, nor the next night
        assert triage_retrain_schedule() is None
    with _at(2, 30, day=6):
        assert triage_retrain_schedule() is None


def test_a_candidate_worse_than_the_serving_model_is_not_put_in_place(
        world, client, token_for, data_dir, model_path, settings):
    serving = train_model(model_path=model_path, cv=True)
    assert serving.report["kind"]["macro_f1"] > 0
    decision = _correct(world, client, token_for)
    settings.SANSHI_TRIAGE_RETRAIN_TOLERANCE = -1.0  # a candidate would have to be better by 1.0 macro-F1
    client.force_login(world.street_officer)
    assert client.post("/staff/triage/model/").status_code == 302
    assert run_due_jobs(kinds=slow_kinds()) == 1
    job = Job.objects.get(kind=RETRAIN_JOB)
    assert job.status == Job.Status.DONE and job.result["replaced"] is False
    assert "保留现用模型" in job.result["why"] and job.result["kind_f1"] is not None
    assert read_model_info(model_path)["version"] == serving.model_version
    assert suggest(text=ODD).kind != decision.kind  # still the serving model's suggestion
    assert sorted(p.name for p in model_path.parent.iterdir()) == [model_path.name, model_path.name + ".json"]
    page = client.get("/staff/triage/model/").content.decode()
    assert "保留现用模型" in page and "尚未学习的人工纠正" in page

    # the kept-out candidate saw this correction: the nights after do not train on the same data again,
    # until a new correction comes in
    settings.SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS = 1
    with _at(2, 10, day=10):
        assert triage_retrain_schedule() is None
    _correct(world, client, token_for)
    with _at(2, 10, day=11):
        assert triage_retrain_schedule() is not None


def test_without_training_data_the_run_fails_and_says_why(world, client, data_dir, model_path, settings, monkeypatch,
                                                          tmp_path):
    train_model(model_path=model_path, cv=False)
    before = read_model_info(model_path)["version"]
    empty = tmp_path / "nothing"
    empty.mkdir()
    monkeypatch.setenv("SANSHI_TRIAGE_DATA", str(empty))
    client.force_login(world.street_officer)
    refused = client.post("/staff/triage/model/")
    assert refused.status_code == 400 and "找不到训练数据" in refused.content.decode()
    assert not Job.objects.filter(kind=RETRAIN_JOB).exists()

    job = Job.objects.create(kind=RETRAIN_JOB, payload={"trigger": "manual", "by": world.street_officer.pk},
                             run_at=timezone.now())
    for _ in range(2):  # tried once more, then given up
        Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
        assert run_due_jobs(kinds=slow_kinds()) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "没有训练数据" in job.last_error
    assert read_model_info(model_path)["version"] == before
    page = client.get("/staff/triage/model/").content.decode()
    assert "失败" in page and "没有训练数据" in page and "FileNotFoundError" not in page
    # without data there is no nightly run to promise
    assert "夜间自动重新训练" not in page and "不会自动重新训练" in page


def test_the_model_page_shows_the_model_and_who_may_retrain(world, client, data_dir, model_path, token_for):
    client.force_login(world.operator)
    empty = client.get("/staff/triage/model/").content.decode()
    assert "还没有训练分拣模型" in empty and "<button>立即重新训练" not in empty

    model = train_model(model_path=model_path, cv=True)
    page = client.get("/staff/triage/model/").content.decode()
    assert model.model_version in page and "家事" in page and "交叉验证结果" in page
    assert f'{model.report["kind"]["macro_f1"]:.3f}' in page  # the figure beside its bars
    assert "请联系街道干部或系统管理员" in page and "<button>立即重新训练" not in page
    refused = client.post("/staff/triage/model/")
    assert refused.status_code == 403 and "只有街道干部或系统管理员" in refused.content.decode()

    client.force_login(world.grid_worker)
    assert client.get("/staff/triage/model/").status_code == 403

    client.force_login(world.street_officer)
    assert "<button>立即重新训练" in client.get("/staff/triage/model/").content.decode()
    assert client.post("/staff/triage/model/").status_code == 302
    job = Job.objects.get(kind=RETRAIN_JOB)
    assert job.payload == {"trigger": "manual", "by": world.street_officer.pk}
    assert AuditEntry.objects.filter(event="triage_retrain", obj_id=str(job.pk), actor_id=world.street_officer.pk).exists()
    second = client.post("/staff/triage/model/")
    assert second.status_code == 400 and "已有一次训练在排队" in second.content.decode()
    assert Job.objects.filter(kind=RETRAIN_JOB).count() == 1
    queued = client.get("/staff/triage/model/").content.decode()
    assert "排队中" in queued and "人工发起" in queued
    client.cookies["django_language"] = "en"  # the English interface says the same
    english = client.get("/staff/triage/model/").content.decode()
    assert "Triage model" in english and "queued" in english and "requested" in english and "排队中" not in english


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_workers_slow_jobs_thread_runs_the_retraining_and_nothing_else(data_dir, model_path):
    from sanshi.core.management.commands.worker import slow_jobs_forever
    from sanshi.intake.services import ANONYMISE_JOB

    other = Job.objects.create(kind=ANONYMISE_JOB, payload={}, run_at=timezone.now())
    run = Job.objects.create(kind=RETRAIN_JOB, payload={"trigger": "manual"}, run_at=timezone.now())
    rounds = []

    def stopping():  # the thread's own loop, until the run is done (at most a few rounds)
        rounds.append(1)
        return len(rounds) > 5 or Job.objects.get(pk=run.pk).status != Job.Status.PENDING

    slow_jobs_forever(stopping)
    run.refresh_from_db()
    assert run.status == Job.Status.DONE and run.result["replaced"] is True, run.last_error
    assert read_model_info(model_path)["version"] == run.result["version"]
    assert Job.objects.get(pk=other.pk).status == Job.Status.PENDING  # the main loop's job, left alone


def test_a_serving_model_without_figures_is_measured_before_it_is_replaced(
        world, client, token_for, data_dir, model_path, settings):
    serving = train_model(model_path=model_path, cv=False)  # as `make run` trains on first start
    assert "kind" not in serving.report
    _correct(world, client, token_for)
    settings.SANSHI_TRIAGE_RETRAIN_TOLERANCE = -1.0  # the candidate would have to be better by 1.0
    client.force_login(world.street_officer)
    client.post("/staff/triage/model/")
    assert run_due_jobs(kinds=slow_kinds()) == 1
    job = Job.objects.get(kind=RETRAIN_JOB)
    assert job.status == Job.Status.DONE, job.last_error
    assert job.result["replaced"] is False and "已按其训练数据补做" in job.result["why"]
    assert 0 < job.result["previous_kind_f1"] <= 1 and job.result["kind_f1"] is not None
    assert read_model_info(model_path)["version"] == serving.model_version


def test_the_first_start_trains_on_the_data_files_and_leaves_corrections_to_the_loop(
        world, client, token_for, data_dir, model_path):
    from io import StringIO

    from django.core.management import call_command

    train_model(model_path=model_path, cv=False)
    decision = _correct(world, client, token_for)
    model_path.unlink()
    call_command("triage", "ensure-model", stdout=StringIO())
    info = read_model_info(model_path)
    assert info["report"]["db_corrections"] == 0 and list(corrections_since(info)) == [decision]
    out = StringIO()
    call_command("triage", "ensure-model", stdout=out)  # a model is there: nothing trained
    assert "已存在" in out.getvalue() and read_model_info(model_path)["version"] == info["version"]


def test_the_api_gives_the_model_status_and_queues_a_run(world, client, token_for, data_dir, model_path):
    model = train_model(model_path=model_path, cv=True)
    status = client.get("/api/v1/triage/model", **token_for(world.operator))
    assert status.status_code == 200
    body = status.json()
    assert body["version"] == model.model_version and body["kind_macro_f1"] == model.report["kind"]["macro_f1"]
    assert {c["label"] for c in body["kind_f1"]} == {"公事", "共事", "家事"} and body["runs"] == []
    assert body["corrections_not_learnt"] == 0 and body["retrain_queued"] is False

    refused = client.post("/api/v1/triage/retrain", **token_for(world.operator))
    assert refused.status_code == 403 and "只有街道干部或系统管理员" in refused.json()["detail"]
    assert client.get("/api/v1/triage/model", **token_for(world.grid_worker)).status_code == 403
    queued = client.post("/api/v1/triage/retrain", **token_for(world.street_officer))
    assert queued.status_code == 202 and queued.json()["state"] == "queued"
    again = client.post("/api/v1/triage/retrain", **token_for(world.street_officer))
    assert again.status_code == 400 and "已有一次训练在排队" in again.json()["detail"]
    assert run_due_jobs(kinds=slow_kinds()) == 1
    run = client.get("/api/v1/triage/model", **token_for(world.operator)).json()["runs"][0]
    assert run["id"] == queued.json()["id"] and run["trigger"] == "manual"
    assert run["state"] in ("replaced", "kept") and run["kind_macro_f1"] is not None and run["why"]

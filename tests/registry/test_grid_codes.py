"""Intake remembers which grid a grid code names (door plates send the same codes all day), and a
change to the registry never files a request on the wrong grid or answers 500."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from sanshi.cases.models import Case, CaseEvent
from sanshi.intake.models import Photo, Request
from sanshi.registry.models import Level
from sanshi.registry.selectors import forget_grid_ids, grid_id_by_code
from sanshi.registry.services import node_create

from ..helpers import submit

TEXT = "楼道里的声控灯坏了一个星期，晚上上下楼看不见。"


@pytest.fixture(autouse=True)
def _empty_grid_cache():
    forget_grid_ids()
    yield
    forget_grid_ids()


def test_a_grid_added_after_a_refusal_is_found_at_once(world, client):
    assert submit(client, text=TEXT, grid="T1C1-G07").json()["errors"]["grid"]
    grid = node_create(code="T1C1-G07", name="新建网格", level=Level.GRID, parent=world.community)

    response = submit(client, text=TEXT, grid="T1C1-G07")

    assert response.status_code == 201
    assert Case.objects.get(pk=Request.objects.get(pk=response.json()["id"]).case_id).grid == grid


def test_a_code_changed_here_is_not_served_from_memory(world, client):
    assert submit(client, text=TEXT, grid="T1C1-G01").status_code == 201  # now remembered
    world.grid.code = "T1C1-G99"
    world.grid.save()

    refused = submit(client, text=TEXT, grid="T1C1-G01")
    accepted = submit(client, text=TEXT, grid="T1C1-G99")

    assert refused.status_code == 400 and "grid" in refused.json()["errors"]
    assert accepted.status_code == 201
    assert Request.objects.get(pk=accepted.json()["id"]).grid == world.grid


def test_a_hit_is_remembered_and_a_zero_lifetime_asks_every_time(world, settings, django_assert_num_queries):
    assert grid_id_by_code("T1C1-G01") == world.grid.pk
    with django_assert_num_queries(0):
        assert grid_id_by_code("T1C1-G01") == world.grid.pk
    settings.SANSHI_GRID_CACHE_SECONDS = 0
    with django_assert_num_queries(1):
        assert grid_id_by_code("T1C1-G01") == world.grid.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_grid_deleted_by_another_process_gives_unknown_grid_not_500(client):
    """Another process deletes a grid this one still remembers: the insert fails on the foreign key,
    nothing is stored, and the request is looked at again — the resident reads "unknown grid"."""
    district = node_create(code="X", name="区", level=Level.DISTRICT)
    street = node_create(code="X1", name="街道", level=Level.STREET, parent=district)
    community = node_create(code="X1C1", name="社区", level=Level.COMMUNITY, parent=street)
    doomed = node_create(code="X1C1-G01", name="网格", level=Level.GRID, parent=community)
    assert grid_id_by_code("X1C1-G01") == doomed.pk  # remembered
    with connection.cursor() as cursor:  # raw SQL: no signal reaches this process's cache
        cursor.execute("DELETE FROM registry_orgnode WHERE id = %s", [doomed.pk])

    response = submit(client, text=TEXT, grid="X1C1-G01")

    assert response.status_code == 400
    assert "X1C1-G01" in response.json()["errors"]["grid"]
    assert Request.objects.count() == 0 and Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0  # the event written in the same statement is not there either


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_report_leaves_no_photo_file_behind(client, settings):
    """The photo is written to storage before the INSERT that then fails on the deleted grid: the
    refusal removes the file again, so a refused report stores nothing, on disk either."""
    from ..cases.test_refusals import png_bytes

    district = node_create(code="X", name="区", level=Level.DISTRICT)
    street = node_create(code="X1", name="街道", level=Level.STREET, parent=district)
    community = node_create(code="X1C1", name="社区", level=Level.COMMUNITY, parent=street)
    doomed = node_create(code="X1C1-G01", name="网格", level=Level.GRID, parent=community)
    assert grid_id_by_code("X1C1-G01") == doomed.pk
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_orgnode WHERE id = %s", [doomed.pk])
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    photo = SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")
    page = client.post("/report/", {"text": TEXT, "sub_channel": "web", "grid": "X1C1-G01", "photos": [photo]})

    assert page.status_code == 400 and "X1C1-G01" in page.content.decode()
    assert Request.objects.count() == 0 and Photo.objects.count() == 0
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("how", ["report form with its one-time token", "API with an Idempotency-Key"])
def test_a_grid_deleted_inside_a_kept_answers_transaction_gives_unknown_grid_not_500(client, settings, how):
    """With the report form's one-time token or an Idempotency-Key the report runs inside the
    transaction that keeps its answer; SQLite checks the foreign key only when that one commits, past
    intake's own retry. The resident still reads "unknown grid", and no row or photo is left."""
    from ..cases.test_refusals import png_bytes

    district = node_create(code="X", name="区", level=Level.DISTRICT)
    street = node_create(code="X1", name="街道", level=Level.STREET, parent=district)
    community = node_create(code="X1C1", name="社区", level=Level.COMMUNITY, parent=street)
    doomed = node_create(code="X1C1-G01", name="网格", level=Level.GRID, parent=community)
    assert grid_id_by_code("X1C1-G01") == doomed.pk
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_orgnode WHERE id = %s", [doomed.pk])
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    if how.startswith("report"):
        [once] = re.findall(r'name="once" value="([^"]+)"', client.get("/report/").content.decode())
        photo = SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")
        response = client.post("/report/", {"text": TEXT, "sub_channel": "web", "grid": "X1C1-G01",
                                            "photos": [photo], "once": once})
        assert response.status_code == 400 and "X1C1-G01" in response.content.decode()
    else:
        response = submit(client, {"HTTP_IDEMPOTENCY_KEY": "grid-gone-1"}, text=TEXT, grid="X1C1-G01")
        assert response.status_code == 400 and "X1C1-G01" in response.json()["errors"]["grid"]
    assert Request.objects.count() == 0 and Case.objects.count() == 0 and Photo.objects.count() == 0
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before

from sanshi.cases.models import Case


def submit(client, headers: dict | None = None, **body):
    """POST /api/v1/requests: as a resident, or with `headers` (a hotline system's token, staff)."""
    return client.post("/api/v1/requests", body, content_type="application/json", **(headers or {}))


def act(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/transitions", body, content_type="application/json", **headers)


def meeting(client, headers, *, org, body, cases, roles=("grid_worker", "mediator")):
    response = client.post("/api/v1/meetings", {
        "org": org, "body": body, "title": "议事会", "form": "meeting", "scheduled_at": "2026-11-20T10:00:00+08:00",
        "participants": [{"role": r, "name": f"参会{i}"} for i, r in enumerate(roles)], "cases": cases,
    }, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def actions(case_id) -> list[str]:
    return list(Case.objects.get(pk=case_id).events.order_by("at", "id").values_list("action", flat=True))


def moves(case_id) -> list[str]:
    """The case's moves in order, without what was only written on its timeline (a rating, a clock's breach)."""
    from sanshi.cases.transitions import TimelineEvent
    return [a for a in actions(case_id) if a not in TimelineEvent.values]


def run_in_threads(func, n: int = 2, timeout: float = 60) -> None:
    """Run `func` on `n` threads at once, each on its own database connection (closed at the end):
    two workers racing for the same rows."""
    import threading

    from django.db import connection

    def run():
        try:
            func()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def decide(case_id) -> str:
    """The rating period of the case's open round ends now: the round is decided as the worker decides it."""
    from sanshi.evaluation.services import open_round, round_decide

    case = Case.objects.get(pk=getattr(case_id, "pk", case_id))
    rnd = open_round(case)
    assert rnd is not None, "no open evaluation round"
    return round_decide(rnd=rnd)


def notice_period_over(case_id) -> None:
    """The objection period of the case's public notice has run out (张榜公示: evaluation can be requested
    only after it; tests/notices/ test the period itself, at its boundary)."""
    from datetime import timedelta

    from django.utils import timezone

    from sanshi.notices.models import Notice

    Notice.objects.filter(case_id=getattr(case_id, "pk", case_id), status="posted").update(
        objection_until=timezone.now() - timedelta(seconds=1))

"""Similar requests are shown to the operator, merged into one case, and every reporter hears back."""

from sanshi.cases.models import Case
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Notification

from ..conftest import PASSWORD
from ..helpers import act, decide, meeting, notice_period_over, submit

FIRST = "鼎城花园3栋电梯又坏了，已经困过两次人，维修资金申请一直没有结果。"
REPEAT = "鼎城花园3栋的电梯又坏了，困过人，维修资金一直申请不下来，请尽快处理。"


def test_similar_open_case_is_suggested_merged_and_both_reporters_notified(world, client, token_for):
    first = submit(client, text=FIRST, grid="T1C1-G01", channel="web").json()
    submit(client, text="艾坪村一组的路灯不亮了", grid="T1C2-G01")  # different community: not a candidate
    submit(client, text="楼上邻居半夜装修", grid="T1C1-G01")  # same community, different matter
    op = token_for(world.operator)
    original = Case.objects.get(requests__tracking_code=first["tracking_code"])
    act(client, op, original.pk, action="triage", kind="SHARED", catalogue_code="S5")

    second = submit(client, token_for(world.hotline), text=REPEAT, grid="T1C1-G01", channel="hotline").json()
    duplicate = Case.objects.get(requests__tracking_code=second["tracking_code"])
    similar = client.get(f"/api/v1/cases/{duplicate.pk}/similar", **op).json()
    assert [s["id"] for s in similar] == [original.pk] and similar[0]["score"] >= 0.3

    client.login(username="operator", password=PASSWORD)
    page = client.get(f"/staff/cases/{duplicate.pk}/").content.decode()
    assert "可能是重复诉求" in page and original.number in page

    r = act(client, op, duplicate.pk, action="merge", into=original.pk)
    assert r.status_code == 200
    duplicate.refresh_from_db()
    assert duplicate.status == "closed" and duplicate.requests.count() == 0
    assert original.requests.count() == 2
    assert list(original.events.values_list("action", flat=True)) == ["open", "triage", "link_duplicate"]
    # the second reporter's tracking code now follows the case that is being handled
    tracked = client.get(f"/api/v1/track/{second['tracking_code']}").json()
    assert tracked["case_number"] == original.number

    sec = token_for(world.secretary)
    m = meeting(client, sec, org="T1C1", body="community_review_meeting", cases=[original.pk],
                roles=("community_secretary", "property_rep"))
    act(client, sec, original.pk, action="resolve", meeting=m, resolution="启用维修资金更换电梯主板")
    act(client, sec, original.pk, action="publicise", result="已更换", notice="电梯已修复")
    notice_period_over(original.pk)  # the objection period ran out
    act(client, sec, original.pk, action="request_evaluation")
    act(client, token_for(world.committee), original.pk, action="evaluate", rating="good")
    assert decide(original.pk) == "good"
    run_due_jobs()
    channels = sorted(Notification.objects.filter(request__case=original).values_list("channel", flat=True))
    assert channels == ["hotline", "web"]


def test_merge_refusals(world, client, token_for):
    a = Case.objects.get(requests__tracking_code=submit(client, text=FIRST, grid="T1C1-G01").json()["tracking_code"])
    b = Case.objects.get(requests__tracking_code=submit(client, text=REPEAT, grid="T1C1-G01").json()["tracking_code"])
    op = token_for(world.operator)
    assert act(client, op, a.pk, action="merge", into=a.pk).status_code == 400
    assert act(client, op, a.pk, action="merge", into=99999).status_code == 400
    assert act(client, token_for(world.grid_worker), a.pk, action="merge", into=b.pk).status_code == 403
    act(client, op, b.pk, action="triage", kind="SHARED", catalogue_code="S5")
    assert act(client, op, b.pk, action="merge", into=a.pk).status_code == 409  # only a new request merges
    assert Case.objects.get(pk=a.pk).requests.count() == 1 and Case.objects.get(pk=b.pk).requests.count() == 1

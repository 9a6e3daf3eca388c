"""The demo district's notice board: every publicised demo case has its notice, posted when its
timeline says, evaluation requested only after the period; 东门社区's parking rule — the owners' vote
that passed — is open for objections, so demo-secretary asking for evaluation is refused."""

from django.utils import timezone

from sanshi.cases.models import CaseEvent
from sanshi.notices.models import Comment, Notice
from sanshi.registry.models import Role, StaffRole


def test_the_demo_board(db, client):
    from sanshi.demo.builder import build_demo

    build_demo(requests=48, out=lambda line: None)
    publications = CaseEvent.objects.filter(action="publicise")
    assert publications.count() == Notice.objects.count() > 1
    for notice in Notice.objects.select_related("event"):
        assert notice.published_at == notice.event.at < timezone.now()
        asked = (CaseEvent.objects.filter(case_id=notice.case_id, action="request_evaluation", at__gt=notice.published_at)
                 .order_by("at").values_list("at", flat=True).first())
        if asked is not None:
            assert asked > notice.objection_until, notice.pk  # never within the period
    opened = Notice.objects.get(node__code="DS01", vote__passed=True)
    assert opened.status == "posted" and opened.objection_until > timezone.now()
    assert {c.status for c in Comment.objects.filter(notice=opened)} == {"published", "pending"}

    board = client.get("/notices/?node=DS01&open=1").content.decode()
    assert "东门社区" in board and opened.title in board and "通过" in board
    page = client.get(f"/notices/{opened.pk}/").content.decode()
    assert "表决通过" in page and "希望物业按时巡查" in page and "前15分钟免费太短" not in page

    assert StaffRole.objects.filter(user__username="demo-secretary", role=Role.COMMUNITY_SECRETARY,
                                    node__code="DS01").exists()
    token = client.post("/api/v1/auth/token", {"username": "demo-secretary", "password": _demo_password()},
                        content_type="application/json").json()["token"]
    refused = client.post(f"/api/v1/cases/{opened.case_id}/transitions", {"action": "request_evaluation"},
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    until = timezone.localtime(opened.objection_until).strftime("%Y-%m-%d %H:%M")
    assert refused.status_code == 409 and refused.json()["detail"] == f"公示期未满：异议期至 {until} 止，期满后才能提请评价"
    client.force_login(StaffRole.objects.get(user__username="demo-secretary").user)
    queue = client.get("/staff/notices/").content.decode()
    assert "前15分钟免费太短" in queue


def _demo_password() -> str:
    from django.conf import settings

    return settings.SANSHI_DEMO_PASSWORD

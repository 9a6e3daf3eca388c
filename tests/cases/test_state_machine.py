"""Random actions by random roles on a few cases: only moves the transition table and the
permissions allow succeed; each success adds exactly one audit row and one case event, a refusal
adds none; the audit chain verifies at the end."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanshi.audit.models import AuditEntry
from sanshi.audit.selectors import audit_chain_verify
from sanshi.cases.actions import case_act
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.scope import check
from sanshi.cases.transitions import find_move
from sanshi.core.errors import ApplicationError, NotFound, NotPermitted
from sanshi.deliberation.models import AgendaItem, Meeting
from sanshi.intake.services import RequestInput, request_submit

from ..conftest import World

ACTIONS = ["triage", "deliberate", "resolve", "publicise", "request_evaluation", "evaluate", "whistle",
           "merge", "no_such_action"]
ROLES = ["operator", "street_officer", "secretary", "grid_worker", "grid_leader", "supervisor", "committee",
         "congress", "liaison_zj", "other_operator", "sibling_worker"]
STATE_AFTER = {"evaluate": ("close", "escalate")}


def _data(world, case: Case, action: str) -> dict:
    meeting = None
    if action in ("deliberate", "resolve") and case.org_id:
        meeting = Meeting.objects.filter(org=case.org, body=case.body, held_at__isnull=True).first()
        if meeting is None:
            meeting = Meeting.objects.create(body=case.body, level=case.org.level, org=case.org, title="m",
                                             convener=world.operator, scheduled_at=case.created_at)
    return {"kind": "SHARED", "catalogue_code": "S1", "reason": "复核", "meeting": meeting.pk if meeting else None,
            "resolution": "议定", "result": "已办", "notice": "公示", "rating": "good", "departments": ["ZJ"],
            "into": Case.objects.exclude(pk=case.pk).values_list("pk", flat=True).first()}


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(ROLES), st.sampled_from(ACTIONS)),
                      min_size=5, max_size=20))
def test_random_actions_by_random_roles(django_db_blocker, steps):
    from django.db import transaction

    with transaction.atomic():
        world = World()
        cases = [request_submit(actor=None, data=RequestInput(text=f"楼道堆放杂物占用消防通道{i}",
                                                              grid_code="T1C1-G01")).case for i in range(2)]
        for index, role_name, action in steps:
            case = Case.objects.get(pk=cases[index].pk)
            actor = getattr(world, role_name)
            audit_before, events_before = AuditEntry.objects.count(), CaseEvent.objects.count()
            try:
                permitted = check(actor, action, case) is not None
            except (NotPermitted, NotFound):
                permitted = False
            legal = any(find_move(a, case.status, case.kind or "SHARED") for a in STATE_AFTER.get(action, (action,)))
            already_on_agenda = action == "deliberate" and AgendaItem.objects.filter(case=case).exists()
            try:
                case_act(actor=actor, case=case, action=action, data=_data(world, case, action))
            except ApplicationError:
                succeeded = False
            else:
                succeeded = True
            if succeeded:
                assert permitted and legal and not already_on_agenda, (role_name, action, case.status)
                new_events = CaseEvent.objects.count() - events_before
                new_audit = AuditEntry.objects.count() - audit_before
                # a merge moves two cases (the duplicate closes, the kept case records it)
                assert new_events == new_audit == (2 if action == "merge" else 1), (action, new_events, new_audit)
            else:
                assert AuditEntry.objects.exclude(event="access.denied").count() == audit_before
                assert CaseEvent.objects.count() == events_before
                if permitted and legal and action not in ("deliberate", "resolve", "merge", "whistle", "evaluate"):
                    pytest.fail(f"{role_name} {action} on {case.status} was refused though allowed")
        assert audit_chain_verify().ok
        transaction.set_rollback(True)

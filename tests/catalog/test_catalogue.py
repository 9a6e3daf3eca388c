from sanshi.cases.models import Case
from sanshi.catalog.models import CatalogueItem, CatalogueVersion
from sanshi.catalog.selectors import current_item
from sanshi.catalog.services import catalogue_revise
from sanshi.triage.services import suggest

from ..helpers import act, submit


def test_baseline_has_8_items_of_each_kind(world):
    version = CatalogueVersion.objects.get(number=1)
    kinds = list(version.items.values_list("kind", flat=True))
    assert len(kinds) == 24 and {k: kinds.count(k) for k in set(kinds)} == {"PUBLIC": 8, "SHARED": 8, "HOUSEHOLD": 8}
    item = version.items.get(code="S4")
    assert item.name == "小区停车" and "停车费" in item.keywords and item.examples and item.deadline_days > 0


def test_revising_makes_a_new_version_and_a_case_keeps_the_one_it_was_triaged_with(world, client, token_for):
    created = submit(client, text="小区停车位太少，停车费还乱收", grid="T1C1-G01").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    act(client, token_for(world.operator), case.pk, action="triage", kind="SHARED", catalogue_code="S4")
    v2 = catalogue_revise(actor=world.operator, changes={"S4": {"name": "小区停车与充电", "deadline_days": 12}},
                          note="加入充电桩")
    assert v2.number == 2 and v2.items.count() == 24
    assert current_item("S4").name == "小区停车与充电"
    case.refresh_from_db()
    assert case.catalogue_item.version.number == 1 and case.catalogue_item.name == "小区停车"
    assert CatalogueItem.objects.get(version__number=1, code="S4").deadline_days != 12


def test_admin_edit_creates_a_version(world, client, admin_user):
    client.force_login(admin_user)
    item = CatalogueItem.objects.get(version__number=1, code="H2")
    response = client.post(f"/admin/catalog/catalogueitem/{item.pk}/change/", {
        "kind": "HOUSEHOLD", "name": "邻里噪声扰民", "description": item.description,
        "examples": '["楼上深夜噪音"]', "keywords": '["噪音", "楼上"]', "deadline_days": 3})
    assert response.status_code == 302
    assert CatalogueVersion.objects.count() == 2
    assert current_item("H2").name == "邻里噪声扰民"
    assert CatalogueItem.objects.get(pk=item.pk).name == "邻里噪声"


def test_keyword_triage_suggests_kind_item_and_confidence(world):
    s = suggest(text="小区物业费又涨了，物业服务也不好")
    assert (s.kind, s.catalogue_code, s.method) == ("SHARED", "S2", "keywords")
    assert 0 < s.confidence <= 1 and "物业费" in s.evidence
    nothing = suggest(text="你好")
    assert nothing.kind is None and nothing.manual and nothing.confidence == 0

"""未诉先办: repeated requests surface as candidate shared or public matters on the operator page."""

from ..conftest import PASSWORD
from ..helpers import act, submit


def test_repeated_household_requests_in_one_compound_surface_as_a_candidate_shared_matter(world, client):
    for n in range(3):
        submit(client, text=f"鼎城花园3栋楼道里有人飞线给电动车充电，电线从{n + 2}楼窗户垂下来，很危险", grid="T1C1-G01")
    for n in range(3):  # the same subject in three different places of the street
        submit(client, text=f"路口红绿灯坏了{n + 1}天，车辆乱行，行人过马路很危险",
               grid=["T1C1-G01", "T1C2-G01", "T1C2-G01"][n])
    submit(client, text="社区图书室周末能不能开放", grid="T1C1-G01")
    client.login(username="operator", password=PASSWORD)
    page = client.get("/staff/hotspots/").content.decode()
    shared = page.split("候选公事")[0]
    assert "鼎城花园网格" in shared and shared.count("飞线") >= 3
    public = page.split("候选公事")[1]
    assert public.count("红绿灯") >= 3 and "图书室" not in page


def test_hotspots_respect_scope(world, client):
    for _ in range(3):
        submit(client, text="鼎城花园3栋楼道里有人飞线给电动车充电，很危险", grid="T1C1-G01")
    client.login(username="other-operator", password=PASSWORD)
    assert "飞线" not in client.get("/staff/hotspots/").content.decode()


def test_the_operator_handles_a_hotspot_as_one_matter_and_every_reporter_is_kept(world, client, token_for):
    from sanshi.cases.models import Case, CaseEvent

    codes = [submit(client, text=f"鼎城花园3栋楼道里有人飞线给电动车充电，电线从{n + 2}楼窗户垂下来，很危险",
                    grid="T1C1-G01", reporter_name=f"住户{n}").json()["tracking_code"] for n in range(3)]
    cases = [Case.objects.get(requests__tracking_code=code) for code in codes]
    # one of them was triaged already: it is not in the pool and stays as it is
    act(client, token_for(world.operator), cases[2].pk, action="triage", kind="HOUSEHOLD", catalogue_code="H7",
        reason="核实")
    client.login(username="operator", password=PASSWORD)
    page = client.get("/staff/hotspots/").content.decode()
    assert "合并办理" in page
    response = client.post("/staff/hotspots/", {"cases": [c.pk for c in cases], "into": cases[0].pk})
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{cases[0].pk}/"
    main = Case.objects.get(pk=cases[0].pk)
    assert main.status == "received" and main.requests.count() == 2  # its own and the second reporter's
    assert Case.objects.get(pk=cases[1].pk).status == "closed"
    assert Case.objects.get(pk=cases[2].pk).status == "triaged" and cases[2].requests.count() == 1
    assert CaseEvent.objects.filter(case=main, action="link_duplicate").count() == 1
    # the second reporter's tracking page now follows the main matter
    assert client.get(f"/api/v1/track/{codes[1]}").json()["status"] == "received"

    # nothing left to merge: refused in Chinese, nothing changes
    again = client.post("/staff/hotspots/", {"cases": [c.pk for c in cases], "into": cases[0].pk})
    assert again.status_code == 400 and "只能合并还在诉求池中的诉求" in again.content.decode()
    assert main.requests.count() == 2


def test_only_the_command_centre_merges_and_only_cases_it_can_see(world, client):
    codes = [submit(client, text="鼎城花园3栋楼道里有人飞线给电动车充电，很危险", grid="T1C1-G01").json()["tracking_code"]
             for _ in range(3)]
    from sanshi.cases.models import Case

    ids = [Case.objects.get(requests__tracking_code=c).pk for c in codes]
    client.login(username="gridworker", password=PASSWORD)
    assert "合并办理" not in client.get("/staff/hotspots/").content.decode()
    refused = client.post("/staff/hotspots/", {"cases": ids, "into": ids[0]})
    assert refused.status_code == 400 and Case.objects.filter(pk__in=ids, status="received").count() == 3
    client.login(username="other-operator", password=PASSWORD)  # another street's command centre
    refused = client.post("/staff/hotspots/", {"cases": ids, "into": ids[0]})
    assert refused.status_code == 400 and Case.objects.filter(pk__in=ids, status="received").count() == 3
    assert client.post("/staff/hotspots/", {"cases": "x", "into": "y"}).status_code == 400


def test_a_hotspot_with_nothing_left_to_merge_offers_no_merge(world, client, token_for):
    from sanshi.cases.models import Case

    codes = [submit(client, text=f"鼎城花园3栋楼道里有人飞线给电动车充电，电线从{n + 2}楼窗户垂下来，很危险",
                    grid="T1C1-G01").json()["tracking_code"] for n in range(3)]
    cases = [Case.objects.get(requests__tracking_code=code) for code in codes]
    client.login(username="operator", password=PASSWORD)
    form = client.get("/staff/hotspots/").content.decode()
    assert "<button>合并办理" in form
    # the first choice offered as the main matter is one already being handled, never a closed one
    act(client, token_for(world.operator), cases[1].pk, action="triage", kind="HOUSEHOLD", catalogue_code="H7",
        reason="核实")
    options = client.get("/staff/hotspots/").content.decode().split('<select name="into">')[1]
    assert options.index(f'value="{cases[1].pk}"') < options.index(f'value="{cases[0].pk}"')
    for case in (cases[0], cases[2]):  # every request triaged: the cluster stays, the merge goes
        act(client, token_for(world.operator), case.pk, action="triage", kind="HOUSEHOLD", catalogue_code="H7",
            reason="核实")
    page = client.get("/staff/hotspots/").content.decode()
    assert page.count("飞线") >= 3 and "<button>合并办理" not in page

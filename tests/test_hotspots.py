"""未诉先办: repeated requests surface as candidate shared or public matters on the operator page."""

from .conftest import PASSWORD
from .helpers import submit


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

"""The votes API: a vote's counts for anyone (no names), and the community secretary's operations —
open, paper or proxy ballots (multipart), close — with 400 / 403 / 404 / 409 as for cases."""

import pytest

from sanshi.registry.models import Role
from sanshi.votes.models import Ballot, Vote

from .conftest import png

OWNERS = ("欧阳修", "司马光", "诸葛亮")


@pytest.fixture
def three(compound):
    for n, owner in enumerate(OWNERS, start=1):
        compound.add(f"1栋10{n}室", "100.00", owner, phone=f"1380000000{n}")
    compound.add("1栋104室", "50.00", "欧阳修", phone="13800000001")  # his second unit
    return compound


def _open(client, headers, resolution, three, **extra):
    return client.post("/api/v1/votes", {"agenda_item": resolution.pk, "electorate": three.electorate.pk, "item": 8,
                                         "title": "地面车位收费", **extra}, content_type="application/json", **headers)


def test_the_secretary_opens_enters_and_closes_and_anyone_reads_the_counts(world, three, resolution, client, token_for):
    headers = token_for(world.secretary)
    opened = _open(client, headers, resolution, three)
    assert opened.status_code == 201, opened.content
    vote_id = opened.json()["id"]
    assert opened.json()["rule"] == "three_quarters" and opened.json()["owners_total"] == 3
    # a paper ballot for one of 欧阳修's units is the ballot of both
    response = client.post(f"/api/v1/votes/{vote_id}/ballots", {
        "unit": three.units["1栋104室"].pk, "choice": "yes", "channel": "paper", "signer": "本人", "scan": png()},
        **headers)
    assert response.status_code == 201, response.content
    assert response.json()["units"] == sorted([three.units["1栋101室"].pk, three.units["1栋104室"].pk])
    for address in ("1栋102室", "1栋103室"):
        assert client.post(f"/api/v1/votes/{vote_id}/ballots", {
            "unit": three.units[address].pk, "choice": "yes", "scan": png()}, **headers).status_code == 201
    # anyone reads the counts, never a name; not decided while open
    public = client.get(f"/api/v1/votes/{vote_id}")
    assert public.status_code == 200 and public.json()["passed"] is None
    assert public.json()["participating_area"] == "350.00" and public.json()["yes_owners"] == 3
    assert not any(name in public.content.decode() for name in OWNERS)
    closed = client.post(f"/api/v1/votes/{vote_id}/close", {"note": "期满"}, content_type="application/json", **headers)
    assert closed.status_code == 200 and closed.json()["passed"] is True and closed.json()["status"] == "closed"
    assert client.post(f"/api/v1/votes/{vote_id}/close", {}, content_type="application/json", **headers).status_code == 409
    assert client.get(f"/api/v1/votes/{vote_id}").json()["passed"] is True


def test_a_ballot_without_its_scan_is_a_400_with_the_field(world, three, resolution, client, token_for):
    headers = token_for(world.secretary)
    vote_id = _open(client, headers, resolution, three).json()["id"]
    response = client.post(f"/api/v1/votes/{vote_id}/ballots", {"unit": three.units["1栋102室"].pk, "choice": "no"},
                           **headers)
    assert response.status_code == 400 and set(response.json()["errors"]) == {"scan"}
    assert not Ballot.objects.exists()


def test_who_may(world, three, resolution, client, token_for):
    outsider = world.staff("other-secretary", Role.COMMUNITY_SECRETARY, world.sibling_community)
    assert _open(client, token_for(world.grid_worker), resolution, three).status_code == 403
    assert _open(client, token_for(outsider), resolution, three).status_code == 404
    vote_id = _open(client, token_for(world.secretary), resolution, three).json()["id"]
    ballot = {"unit": three.units["1栋102室"].pk, "choice": "no", "scan": png()}
    assert client.post(f"/api/v1/votes/{vote_id}/ballots", ballot, **token_for(world.grid_worker)).status_code == 403
    assert client.post(f"/api/v1/votes/{vote_id}/ballots", ballot, **token_for(outsider)).status_code == 404
    assert client.post(f"/api/v1/votes/{vote_id}/close", {}, content_type="application/json",
                       **token_for(outsider)).status_code == 404
    assert client.post(f"/api/v1/votes/{vote_id}/close", {}, content_type="application/json").status_code == 401
    assert Vote.objects.get(pk=vote_id).status == "open" and not Ballot.objects.exists()
    assert client.get("/api/v1/votes/999999").status_code == 404

"""Photos — a request's, a response team's site photo, a paper ballot's scan — are personal data (the
inside of a home, a face, a signature). They are answered only to a signed-in user who sees their
case (or, for a ballot, its vote's roll), never kept by the browser, never sniffed into a page; the
app serves nothing under /media/ (issue 18, item 2; docs/security.md "Uploaded photos")."""

import importlib.util
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from PIL import Image

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.intake.models import Photo
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Dispatch, ResponseTeam, TeamMember
from sanshi.registry.models import Role

from ..cases.test_permission_matrix import SEES, Matrix
from ..votes.conftest import Compound, shared_resolution


def _png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()


def _store(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(data))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class Photographed:
    """A request of the grid T1C1-G01 with a photo, its case dispatched to a team that sent back a
    site photo, and a vote of the community with a paper ballot's scan."""

    def __init__(self, world):
        request = request_submit(actor=None, data=RequestInput(
            text="楼道里堆满杂物，堵住了消防通道", title="楼道堆物", grid_code="T1C1-G01"))
        self.case = request.case
        self.photo_bytes = _png()
        self.photo = Photo.objects.create(request=request, image=_store("requests/2026/12/a1b2c3.png", self.photo_bytes))
        team = ResponseTeam.objects.create(street=world.street, name="应急队")
        self.responder = world.staff("responder", Role.RESPONDER, world.street)
        TeamMember.objects.create(team=team, user=self.responder)
        self.site_bytes = _png((30, 30, 200))
        self.dispatch = Dispatch.objects.create(case=self.case, team=team, dispatched_at=timezone.now(),
                                                photo=_store("dispatch/2026/12/d4e5f6.png", self.site_bytes))
        compound = Compound(world)
        compound.add("1栋101室", "100.00", "甲")
        vote = compound.open(shared_resolution(world))
        self.ballot = compound.paper(vote, "1栋101室", "yes")[0]
        self.sibling_secretary = world.staff("sibling-secretary", Role.COMMUNITY_SECRETARY, world.sibling_community)

    @property
    def urls(self) -> list[str]:
        return [f"/staff/photos/{self.photo.pk}/", f"/staff/photos/dispatches/{self.dispatch.pk}/",
                f"/staff/votes/ballots/{self.ballot.pk}/scan/"]


@pytest.fixture
def photographed(world):
    return Photographed(world)


def _private(response) -> bool:
    return response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_is_sent_to_sign_in_and_gets_no_bytes(photographed, client):
    for url in photographed.urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_staff_of_a_sibling_community_get_404_as_for_a_missing_photo_and_it_is_audited(world, photographed, client):
    client.force_login(photographed.sibling_secretary)
    before = AuditEntry.objects.filter(event="access.denied").count()
    for url in photographed.urls:
        assert client.get(url).status_code == 404, url
    assert client.get("/staff/photos/999999/").status_code == 404  # out of sight looks the same as missing
    denied = AuditEntry.objects.filter(event="access.denied").order_by("seq")[before:]
    assert [(e.actor_username, e.obj_type) for e in denied][:3] == [
        ("sibling-secretary", "photo"), ("sibling-secretary", "dispatch"), ("sibling-secretary", "ballot")]


def test_who_sees_the_case_gets_the_image_bytes_never_cached_never_sniffed(world, photographed, client):
    client.force_login(world.grid_worker)  # the grid's worker, who works the request
    response = client.get(photographed.urls[0])
    assert response.status_code == 200 and response["Content-Type"] == "image/png" and _private(response)
    assert b"".join(response.streaming_content) == photographed.photo_bytes
    site = client.get(photographed.urls[1])
    assert site.status_code == 200 and _private(site)
    assert b"".join(site.streaming_content) == photographed.site_bytes
    client.force_login(photographed.responder)  # the team sent to the case sees its own photo
    assert client.get(photographed.urls[1]).status_code == 200
    client.force_login(world.secretary)  # who keeps the vote reads the scan; no such document is 404
    scan = client.get(photographed.urls[2])
    assert scan.status_code == 200 and scan["Content-Type"] == "image/png" and _private(scan)
    assert client.get(f"/staff/votes/ballots/{photographed.ballot.pk}/proxy/").status_code == 404
    assert client.get(f"/staff/votes/ballots/{photographed.ballot.pk}/anything/").status_code == 404


def test_the_pages_link_photos_only_through_the_views(world, photographed, client):
    Case.objects.filter(pk=photographed.case.pk).update(urgent=True)  # the urgent flow's panel shows the team
    Dispatch.objects.filter(pk=photographed.dispatch.pk).update(result_at=timezone.now(), result="已清理")
    client.force_login(world.secretary)
    case_page = client.get(f"/staff/cases/{photographed.case.pk}/").content.decode()
    vote_page = client.get(f"/staff/votes/{photographed.ballot.vote_id}/").content.decode()
    assert f'src="/staff/photos/{photographed.photo.pk}/"' in case_page
    assert f'href="/staff/photos/dispatches/{photographed.dispatch.pk}/"' in case_page
    assert f'href="/staff/votes/ballots/{photographed.ballot.pk}/scan/"' in vote_page
    assert "/media/" not in case_page + vote_page


def test_a_file_kept_under_a_name_that_is_not_an_image_is_a_download_never_a_page(world, photographed, client):
    """A photo stored before re-encoding kept the name it came with (`poly.html`): it is offered as
    opaque bytes to save, so no browser runs what it holds."""
    Photo.objects.filter(pk=photographed.photo.pk).update(
        image=_store("requests/2026/11/poly.html", b"GIF89a<script>alert(document.cookie)</script>"))
    client.force_login(world.grid_worker)
    response = client.get(photographed.urls[0])
    assert response["Content-Type"] == "application/octet-stream" and _private(response)
    assert response["Content-Disposition"].startswith("attachment") and "poly" not in response["Content-Disposition"]


def test_a_photo_whose_file_is_gone_says_so_instead_of_failing(world, photographed, client, media):
    default_storage.delete(photographed.photo.image.name)
    client.force_login(world.grid_worker)
    response = client.get(photographed.urls[0])
    assert response.status_code == 410 and "备份中恢复照片" in response.content.decode() and _private(response)


def test_the_app_serves_nothing_under_media_even_in_development(photographed, client):
    name = photographed.photo.image.name
    assert client.get(f"/media/{name}").status_code == 404
    # the URLconf as `make run` loads it (DEBUG on): nothing answers /media/ there either
    spec = importlib.util.find_spec("sanshi.urls")
    assert spec is not None and spec.loader is not None
    development = importlib.util.module_from_spec(spec)
    with override_settings(DEBUG=True):
        spec.loader.exec_module(development)
    resolver = URLResolver(RegexPattern(r"^/"), development)
    with pytest.raises(Resolver404):
        resolver.resolve(f"/media/{name}")
    assert resolver.resolve(f"/staff/photos/{photographed.photo.pk}/").url_name == "request-photo"
    assert get_resolver().resolve(f"/staff/photos/{photographed.photo.pk}/").url_name == "request-photo"


def test_each_role_gets_a_cases_photo_exactly_when_it_sees_the_case(world, client, token_for):
    """The permission matrix's oracle (DOMAIN.md §3b): a photo follows its case, role by role — a
    request's photo on its page, a team's site photo on its page and through the API."""
    matrix = Matrix(world, client)
    photos = {name: Photo.objects.create(request=case.requests.first(), image=_store(f"requests/m/{name}.png", _png()))
              for name, case in matrix.cases.items()}
    team = ResponseTeam.objects.create(street=world.street, name="矩阵应急队")
    sites = {name: Dispatch.objects.create(case=case, team=team, dispatched_at=timezone.now(),
                                           photo=_store(f"dispatch/m/{name}.png", _png()))
             for name, case in matrix.cases.items()}
    wrong = []
    for role, user in matrix.users.items():
        client.force_login(user)
        headers = token_for(user)
        for name, photo in photos.items():
            want = 200 if name in SEES[role] else 404
            got = (client.get(f"/staff/photos/{photo.pk}/").status_code,
                   client.get(f"/staff/photos/dispatches/{sites[name].pk}/").status_code,
                   client.get(f"/api/v1/dispatches/{sites[name].pk}/photo", **headers).status_code)
            if got != (want, want, want):
                wrong.append((role, name, got))
    assert wrong == []


def test_an_api_token_fetches_the_site_photo_by_the_same_rule(world, photographed, client, token_for):
    """The grid workers' app holds a bearer token, not a browser session: the site photo is served to it
    under the same rule, 404 (audited) out of sight."""
    url = f"/api/v1/dispatches/{photographed.dispatch.pk}/photo"
    response = client.get(url, **token_for(photographed.responder))
    assert response.status_code == 200 and _private(response)
    assert b"".join(response.streaming_content) == photographed.site_bytes
    assert client.get(url, **token_for(world.grid_worker)).status_code == 200
    refused = client.get(url, **token_for(photographed.sibling_secretary))
    assert refused.status_code == 404 and refused.json()["detail"] == "照片不存在"
    denied = AuditEntry.objects.get(event="access.denied")
    assert denied.actor_username == "sibling-secretary"
    assert client.get(url).status_code == 401

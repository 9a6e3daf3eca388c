"""Issue 18's intake reproductions, each at the setting a deployment runs with: the anonymous API and
the public report page accept only the public sub-channels (an anonymous "superior", "hotline" or
"grid_patrol" was stored as such), and a 12000×12000 PNG — accepted and served to staff browsers
before — is refused at the default pixel limit with a Chinese message."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sanshi.intake.channels import PUBLIC_SUB_CHANNELS, SubChannel
from sanshi.intake.models import Photo, Request

from ..helpers import submit

NOT_PUBLIC = [c.value for c in SubChannel if c not in PUBLIC_SUB_CHANNELS]


@pytest.mark.parametrize("channel", ["superior", "hotline", "grid_patrol"])
def test_the_anonymous_api_refuses_the_channels_staff_or_a_hotline_system_claim(world, client, channel):
    refused = submit(client, text="小区门口的路灯坏了一个星期", grid="T1C1-G01", channel=channel)
    assert refused.status_code == 400 and set(refused.json()) == {"detail", "errors"}
    assert "channel" in refused.json()["errors"]
    assert not Request.objects.exists()


def test_every_channel_but_the_public_ones_is_refused_anonymously(world, client):
    for channel in NOT_PUBLIC:
        assert submit(client, text="楼道灯坏了", grid="T1C1-G01", channel=channel).status_code == 400, channel
    for channel in PUBLIC_SUB_CHANNELS:
        assert submit(client, text="楼道灯坏了", grid="T1C1-G01", channel=channel.value).status_code == 201, channel
    assert sorted(Request.objects.values_list("sub_channel", flat=True)) == sorted(c.value for c in PUBLIC_SUB_CHANNELS)


@pytest.mark.parametrize("channel", ["superior", "hotline", "grid_patrol"])
def test_the_public_report_page_refuses_them_too(world, client, channel):
    response = client.post("/report/", {"text": "小区门口的路灯坏了一个星期", "sub_channel": channel})
    assert response.status_code == 400 and "来源" in response.content.decode()
    assert not Request.objects.exists()


def test_a_hotline_systems_token_claims_the_assigned_channels_but_not_the_grid_patrol(world, client, token_for):
    patrol = submit(client, token_for(world.hotline), text="路灯不亮", grid="T1C1-G01", channel="grid_patrol")
    assert patrol.status_code == 400 and "channel" in patrol.json()["errors"]
    superior = submit(client, token_for(world.hotline), text="区里交办：路灯不亮", grid="T1C1-G01", channel="superior")
    assert superior.status_code == 201
    assert list(Request.objects.values_list("sub_channel", flat=True)) == ["superior"]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns on open; we refuse
def test_a_12000_by_12000_png_is_refused_at_the_default_pixel_limit(world, client, settings):
    assert settings.SANSHI_MAX_IMAGE_PIXELS == 40_000_000  # the deployment's default, not a test's
    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG")  # 144 Mpx in about 20 KB: only a warning to Pillow
    response = client.post("/report/", {"text": "楼道里堆满杂物，堵住了消防通道", "sub_channel": "web",
                                        "photos": [SimpleUploadedFile("big.png", buffer.getvalue(), "image/png")]})
    assert response.status_code == 400 and "像素过多" in response.content.decode()
    assert not Request.objects.exists() and not Photo.objects.exists()

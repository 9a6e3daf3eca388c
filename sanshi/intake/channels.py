"""The three channels of the seeds and their sub-channels (来源渠道化)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ASSIGNED = "assigned", _("各级交办")
    PATROL = "patrol", _("网格摸排")
    RESIDENT = "resident", _("群众反映")


class SubChannel(models.TextChoices):
    # assigned from above
    HOTLINE = "hotline", _("12345热线工单")
    SUPERIOR = "superior", _("上级交办")
    # grid patrol
    GRID_PATROL = "grid_patrol", _("网格员巡查（一日三巡）")
    ZONE_GROUP_VISIT = "zone_group_visit", _("片区群访")
    KEY_VISIT = "key_visit", _("重点探访")
    GRID_VISIT = "grid_visit", _("网格走访")
    BUILDING_VISIT = "building_visit", _("楼栋听访")
    PLATFORM_VISIT = "platform_visit", _("平台集访")
    # resident report
    WEB = "web", _("网页表单")
    QR_DOOR_PLATE = "qr_door_plate", _("智慧门牌扫码")
    WECHAT_GROUP = "wechat_group", _("居民微信群")
    SUGGESTION_BOX = "suggestion_box", _("意见箱")
    WISH_WALL = "wish_wall", _("心愿墙")
    WALK_IN = "walk_in", _("来访")


CHANNEL_OF = {
    SubChannel.HOTLINE: Channel.ASSIGNED,
    SubChannel.SUPERIOR: Channel.ASSIGNED,
    SubChannel.GRID_PATROL: Channel.PATROL,
    SubChannel.ZONE_GROUP_VISIT: Channel.PATROL,
    SubChannel.KEY_VISIT: Channel.PATROL,
    SubChannel.GRID_VISIT: Channel.PATROL,
    SubChannel.BUILDING_VISIT: Channel.PATROL,
    SubChannel.PLATFORM_VISIT: Channel.PATROL,
    SubChannel.WEB: Channel.RESIDENT,
    SubChannel.QR_DOOR_PLATE: Channel.RESIDENT,
    SubChannel.WECHAT_GROUP: Channel.RESIDENT,
    SubChannel.SUGGESTION_BOX: Channel.RESIDENT,
    SubChannel.WISH_WALL: Channel.RESIDENT,
    SubChannel.WALK_IN: Channel.RESIDENT,
}

# What a resident may choose on the public page and submit without an account (the rest are staff channels).
PUBLIC_SUB_CHANNELS = [SubChannel.WEB, SubChannel.QR_DOOR_PLATE, SubChannel.WECHAT_GROUP]
# Work orders handed down: a hotline or 12345 system (an intake_client token) or staff claim them.
ASSIGNED_SUB_CHANNELS = [SubChannel.HOTLINE, SubChannel.SUPERIOR]


def sub_channel_label(value: str) -> str:
    """A sub-channel's name in the current language (Request.get_sub_channel_display() hashes every
    choice on each call: a tenth of a millisecond on the intake path)."""
    try:
        return str(SubChannel(value).label)
    except ValueError:
        return value

"""Which body settles a kind of matter, at which level (主体明晰化)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.registry.models import Level


class Body(models.TextChoices):
    GRID_NEIGHBOUR_MEETING = "grid_neighbour_meeting", _("网格邻里会")
    COMMUNITY_REVIEW_MEETING = "community_review_meeting", _("社区评议会")
    STREET_JOINT_MEETING = "street_joint_meeting", _("街道联席会")
    DISTRICT_JOINT_MEETING = "district_joint_meeting", _("区级联席会议")


LEVEL_OF_KIND: dict[str, str] = {"HOUSEHOLD": Level.GRID, "SHARED": Level.COMMUNITY, "PUBLIC": Level.STREET}
BODY_OF_LEVEL: dict[str, Body] = {
    Level.GRID: Body.GRID_NEIGHBOUR_MEETING,
    Level.COMMUNITY: Body.COMMUNITY_REVIEW_MEETING,
    Level.STREET: Body.STREET_JOINT_MEETING,
    Level.DISTRICT: Body.DISTRICT_JOINT_MEETING,
}
LEVEL_OF_BODY: dict[str, str] = {body: level for level, body in BODY_OF_LEVEL.items()}
ESCALATION: dict[str, str] = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.STREET, Level.STREET: Level.DISTRICT}

# Who sits on each body (seeds J0, B2); meeting participants are checked against this.
BODY_ROLES: dict[str, set[str]] = {
    Body.GRID_NEIGHBOUR_MEETING: {
        "grid_worker", "grid_leader", "grid_instructor", "mediator", "resident_rep", "party",
        "information_officer", "volunteer", "warm_hearted_resident", "property_rep",
    },
    Body.COMMUNITY_REVIEW_MEETING: {
        "community_secretary", "party_rep", "peoples_congress_deputy", "cppcc_member",
        "street_deliberation_rep", "grid_worker", "grid_leader", "mediator", "property_rep",
        "information_officer", "democratic_supervisor", "supervision_committee", "resident_rep",
    },
    Body.STREET_JOINT_MEETING: {
        "street_officer", "operator", "area_unit_rep", "community_secretary", "department_liaison",
        "peoples_congress", "democratic_supervisor",
    },
    Body.DISTRICT_JOINT_MEETING: {
        "street_officer", "department_liaison", "operator", "peoples_congress", "democratic_supervisor",
    },
}

PARTICIPANT_ROLE_LABELS = {
    "grid_worker": _("网格员"), "grid_leader": _("网格长"), "grid_instructor": _("网格指导员"),
    "mediator": _("调解员"), "resident_rep": _("居民代表"), "party": _("当事人"), "information_officer": _("信息员"),
    "volunteer": _("志愿者"), "warm_hearted_resident": _("热心居民"), "property_rep": _("物业企业代表"),
    "community_secretary": _("社区党组织书记"), "party_rep": _("党员代表"), "peoples_congress_deputy": _("人大代表"),
    "cppcc_member": _("政协委员"), "street_deliberation_rep": _("街道议事代表"), "democratic_supervisor": _("民主监督员"),
    "supervision_committee": _("居务监督委员会成员"), "street_officer": _("街道党工委/办事处干部"),
    "operator": _("指挥中心"), "area_unit_rep": _("辖区单位代表"), "department_liaison": _("区级部门"),
    "peoples_congress": _("街道人大工委"),
}


def routing_for(kind: str) -> tuple[str, str]:
    level = LEVEL_OF_KIND[kind]
    return level, BODY_OF_LEVEL[level]

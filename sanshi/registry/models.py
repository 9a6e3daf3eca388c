"""The administrative tree (district → street → community → grid → micro-grid), staff roles on
its nodes, households, and the district departments a street summons."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from sanshi.core.fields import EncryptedTextField


class Level(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    MICRO_GRID = "micro_grid", _("微网格")


LEVEL_ORDER = [Level.MICRO_GRID, Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT]


class CommunityType(models.TextChoices):
    URBAN = "urban", _("城市社区")
    RURAL = "rural", _("农村（村）")


class GridType(models.TextChoices):
    RESIDENTIAL = "residential", _("居民网格")
    SHOPS = "shops", _("商圈网格")
    GOV_ENTERPRISE = "gov_enterprise", _("机关企事业网格")
    EDUCATION = "education", _("教育培训网格")
    MEDICAL = "medical", _("医疗网格")


class MicroGridType(models.TextChoices):
    BUILDING = "building", _("楼栋")
    COURTYARD = "courtyard", _("院落")
    FLOOR = "floor", _("楼层")
    TEN_HOUSEHOLDS = "ten_households", _("十户联防")


class OrgNode(MP_Node):
    """A node of the administrative tree. The tree is django-treebeard's materialised path (`path`,
    `depth`, `numchild`; siblings ordered by code): subtrees and ancestry are asked of it
    (`registry.selectors.subtree`, `within`), never by comparing paths by hand. `parent` is kept
    beside it for joins (a grid's community and street in one query)."""

    node_order_by = ["code"]

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    zone = models.CharField(_("片区"), max_length=50, blank=True)
    community_type = models.CharField(_("社区类型"), max_length=16, choices=CommunityType.choices, blank=True)
    grid_type = models.CharField(_("网格类型"), max_length=20, choices=GridType.choices, blank=True)
    micro_type = models.CharField(_("微网格类型"), max_length=20, choices=MicroGridType.choices, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # 城子模式 (B2): in this street the community's Party organisation leads household matters (it
    # convenes the grid neighbour meetings); elsewhere the grid leader does (J0)
    community_leads_household = models.BooleanField(_("家事由社区党组织牵头"), default=False,
                                                    help_text=_("街道节点：城子模式，网格邻里会由社区书记召集"))

    class Meta:
        ordering = ["path"]
        verbose_name = _("组织节点")
        verbose_name_plural = _("组织节点")

    def __str__(self) -> str:
        return self.name

    def ancestor(self, level: str) -> "OrgNode | None":
        node: OrgNode | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node


class Household(models.Model):
    node = models.ForeignKey(OrgNode, on_delete=models.CASCADE, related_name="household_set",
                             help_text="网格或微网格")
    address = models.CharField(_("门牌地址"), max_length=200)
    head_name = models.CharField(_("户主"), max_length=50, blank=True)
    members = models.PositiveSmallIntegerField(_("人数"), default=1)

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")

    def __str__(self) -> str:
        return self.address


class Person(models.Model):
    """A resident in the person register (一标三实: the actual population), member of a household: who
    takes part in a meeting or a vote is a person, so participation is counted per household. The
    phone and the ID number are encrypted at rest, with keyed hashes for exact lookups (the owners'
    one-time voting codes go to the phone on file)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="persons",
                                  verbose_name=_("住户"))
    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    DISTRICT_OFFICER = "district_officer", _("区级联席会议成员")  # the district joint meeting escalations reach
    OPERATOR = "operator", _("指挥中心接线员")
    GRID_WORKER = "grid_worker", _("网格员")
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_INSTRUCTOR = "grid_instructor", _("网格指导员")
    COMMUNITY_SECRETARY = "community_secretary", _("社区书记")
    STREET_OFFICER = "street_officer", _("街道干部")
    DEPARTMENT_LIAISON = "department_liaison", _("区级部门联络员")
    DEMOCRATIC_SUPERVISOR = "democratic_supervisor", _("民主监督员")
    SUPERVISION_COMMITTEE = "supervision_committee", _("居务监督委员会成员")
    PEOPLES_CONGRESS = "peoples_congress", _("街道人大工委委员")
    MEDIATOR = "mediator", _("调解员")
    PROPERTY_REP = "property_rep", _("物业企业代表")
    RESIDENT_REP = "resident_rep", _("居民代表")
    RESPONDER = "responder", _("应急处置队员")  # a member of a response team (突发快响)
    INTAKE_CLIENT = "intake_client", _("热线/12345系统接入")  # a hotline system's token: submits assigned work orders
    # 三员 (等保 2.0): three administrators, never two of them on one account
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


class Department(models.Model):
    """A district department a street can summon by whistle call (吹哨报到)."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("区级职能部门")
        verbose_name_plural = _("区级职能部门")

    def __str__(self) -> str:
        return self.name


class StaffRole(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="staff_roles")
    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, related_name="staff_roles")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   help_text="区级部门联络员所属部门")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "node", "role"], name="unique_staff_role")]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.node}"

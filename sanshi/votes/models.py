"""Owners' joint decisions (业主共同决定, Civil Code art. 278): the electorate of a compound — its
units (专有部分) with their floor area as registered and their owners — and the votes taken on a
community review meeting's resolution, with the roll frozen when a vote opens, its ballots and
its life cycle (open → closed, `VoteEvent` rows). How the heads and areas are counted:
`rules.py` and docs/votes.md.

Ballots are kept: no code path deletes a ballot, a roll entry or a vote (every foreign key to
them protects them), so signed ballots outlive the three years the rules ask for."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.registry.models import OrgNode, Person


class Electorate(models.Model):
    """业主名册: the units of one compound or group of buildings (a grid or micro-grid of a
    community), kept by the community's staff."""

    name = models.CharField(_("名称"), max_length=100)
    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, related_name="electorates",
                             verbose_name=_("所在网格/微网格"))
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["node__path", "name", "id"]
        verbose_name = _("业主名册")
        verbose_name_plural = _("业主名册")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """One exclusive part (专有部分): its area as registered (不动产登记簿, else the surveyed area, else
    the sales contract's: SPC interpretation art. 8) and its owners from the person register. A unit
    the developer has not sold or not delivered carries the flag and no owners."""

    electorate = models.ForeignKey(Electorate, on_delete=models.PROTECT, related_name="units")
    address = models.CharField(_("房屋地址"), max_length=200)
    area = models.DecimalField(_("建筑面积（㎡）"), max_digits=10, decimal_places=2)
    developer_held = models.BooleanField(_("开发建设单位未售出或未交付"), default=False)
    owners = models.ManyToManyField(Person, blank=True, related_name="owned_units", verbose_name=_("业主"))

    class Meta:
        ordering = ["electorate_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["electorate", "address"], name="unique_unit_address"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="unit_area_positive"),
        ]
        verbose_name = _("专有部分")
        verbose_name_plural = _("专有部分")

    def __str__(self) -> str:
        return self.address


class Item(models.IntegerChoices):
    """The matters owners decide jointly: Civil Code art. 278, first paragraph, items (1)–(9)."""

    RULES_OF_PROCEDURE = 1, _("（一）制定和修改业主大会议事规则")
    MANAGEMENT_STATUTE = 2, _("（二）制定和修改管理规约")
    COMMITTEE = 3, _("（三）选举业主委员会或者更换业主委员会成员")
    PROPERTY_SERVICE = 4, _("（四）选聘和解聘物业服务企业或者其他管理人")
    USE_MAINTENANCE_FUND = 5, _("（五）使用建筑物及其附属设施的维修资金")
    RAISE_MAINTENANCE_FUND = 6, _("（六）筹集建筑物及其附属设施的维修资金")
    REBUILD = 7, _("（七）改建、重建建筑物及其附属设施")
    COMMON_PARTS_USE = 8, _("（八）改变共有部分的用途或者利用共有部分从事经营活动")
    OTHER = 9, _("（九）有关共有和共同管理权利的其他重大事项")


class VoteStatus(models.TextChoices):
    OPEN = "open", _("表决中")
    CLOSED = "closed", _("已结束")


class Choice(models.TextChoices):
    YES = "yes", _("同意")
    NO = "no", _("反对")
    ABSTAIN = "abstain", _("弃权")


class Channel(models.TextChoices):
    WEB = "web", _("网上投票（短信验证码）")
    PAPER = "paper", _("纸质表决票")
    PROXY = "proxy", _("委托代理人投票")


class Vote(models.Model):
    """A vote of the owners on a resolution of a SHARED matter (the agenda item of a community review
    meeting, and so its case). Status changes only through `services.vote_transition`."""

    agenda_item = models.ForeignKey("deliberation.AgendaItem", on_delete=models.PROTECT, related_name="votes",
                                    verbose_name=_("议定事项"))
    electorate = models.ForeignKey(Electorate, on_delete=models.PROTECT, related_name="votes",
                                   verbose_name=_("业主名册"))
    item = models.PositiveSmallIntegerField(_("共同决定事项类别"), choices=Item.choices)
    title = models.CharField(_("表决事项"), max_length=200)
    secret = models.BooleanField(_("无记名投票"), default=False,
                                 help_text=_("只记录谁投了票，不记录哪套房屋选了什么"))
    ends_on = models.DateField(_("计划截止日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=VoteStatus.choices, blank=True, default="")
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(_("通过"), null=True, blank=True)
    result = models.JSONField(_("计票结果"), default=dict, blank=True)  # the tally as it stood at closing

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agenda_item"], condition=models.Q(status="open"),
                                    name="one_open_vote_per_resolution"),
        ]
        verbose_name = _("业主表决")
        verbose_name_plural = _("业主表决")

    def __str__(self) -> str:
        return self.title


class VoteEvent(models.Model):
    """One row per move of a vote (opened, closed): who, when, from, to, why."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16)
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.action} {self.from_status}→{self.to_status}"


class RollEntry(models.Model):
    """A unit on a vote's roll, frozen when the vote opens: its area, whether the developer holds it,
    its owners and the head it counts under (`head`: units with the same head count as one owner —
    one buyer's several units, and the developer's unsold or undelivered units together)."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="roll")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="roll_entries")
    address = models.CharField(_("房屋地址"), max_length=200)
    area = models.DecimalField(_("建筑面积（㎡）"), max_digits=10, decimal_places=2)
    developer_held = models.BooleanField(default=False)
    head = models.CharField(max_length=40)
    owners = models.ManyToManyField(Person, blank=True, related_name="+")

    class Meta:
        ordering = ["vote_id", "id"]
        constraints = [models.UniqueConstraint(fields=["vote", "unit"], name="unique_unit_per_roll")]
        indexes = [models.Index(fields=["vote", "head"], name="roll_vote_head_idx")]

    def __str__(self) -> str:
        return self.address


class Ballot(models.Model):
    """One ballot per unit on the roll. In an open vote it carries the choice; in a secret vote it
    records only that the unit voted (the choice is added to `SecretCount`, which names no unit).
    Paper ballots keep their scan; a proxy's ballot its authorisation."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    entry = models.OneToOneField(RollEntry, on_delete=models.PROTECT, related_name="ballot")
    choice = models.CharField(_("表决意见"), max_length=8, choices=Choice.choices, blank=True)
    channel = models.CharField(_("投票方式"), max_length=8, choices=Channel.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="网上投票：以短信验证码核实身份的业主")
    signer = models.CharField(_("签名人"), max_length=50, blank=True)
    proxy_name = models.CharField(_("代理人"), max_length=50, blank=True)
    proxy_note = models.CharField(_("授权委托说明"), max_length=200, blank=True)
    proxy_document = models.FileField(_("授权委托书"), max_length=255, blank=True)
    scan = models.FileField(_("表决票扫描件"), max_length=255, blank=True)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField()

    class Meta:
        ordering = ["vote_id", "id"]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.entry_id}"


class SecretCount(models.Model):
    """A secret vote's count for one choice: how many owners and how much area chose it. No row says
    which unit chose what — who voted is in `Ballot`, how in these three counters."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="secret_counts")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    owners = models.PositiveIntegerField(default=0)
    area = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "choice"], name="unique_secret_count")]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.choice}"


class BallotCode(models.Model):
    """A one-time code for the web ballot, sent by SMS to the phone on file of an owner on the roll.
    Stored as a keyed hash only; it expires, is used once, and a few wrong tries end it."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="codes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["vote", "person"], name="ballotcode_vote_person_idx")]

    def __str__(self) -> str:
        return f"{self.vote_id}: {self.person_id}"

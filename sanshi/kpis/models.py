"""The figures' cache (docs/kpis.md): what each case's event rows say, one row per case
(`CaseFact`), and those rows summed per node of the tree and day of receipt (`DayFigures`) and
month of receipt (`MonthFigures`). All are derived — rebuilt from the events by `sanshi kpis
rebuild`, kept up to date by the worker's sweep (`services.kpis_refresh`) — never written by a
service that moves a case, never a hand-kept total.

Read-only wall screens (`WallScreen`) show a node's figures on the command centre's wall without a
staff session: issued and revoked by the street's command centre, audited."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# the counts a case contributes (0 or 1, or how many ratings and visits); DayFigures sums the same names
COUNTS = (
    "received",  # counted in the cohort: received, not merged into another case
    "triaged",  # left the pool by triage (responded)
    "retriaged",  # re-routed at least once (退回重分)
    "closed",  # closed: rated good, rated bad at the district (final), or its rating period lapsed
    "resolved",  # closed, and not by a final bad rating
    "grassroots",  # resolved and never escalated to the district
    "own_level",  # resolved and never escalated: settled at the level of its kind
    "escalated",  # escalated at least once (提级复议)
    "lapsed",  # closed because nobody rated it in its rating period
    "ratings", "ratings_good",  # the designated evaluators' ratings of the case, all rounds
    "visits", "visits_good",  # follow-up visits recorded; satisfied or basically satisfied
    "deadlined", "timely",  # closed with a deadline clock; of them, closed by the deadline
    "urgent",  # an urgent event (突发快响)
    "dispatch_met", "dispatch_missed", "arrive_met", "arrive_missed",  # the 1-5-10 steps
    "result_met", "result_missed", "reinforce_met", "reinforce_missed",
)


class CaseFact(models.Model):
    """One case as its event rows (and its requests, ratings, visits and clocks) tell it. A case
    merged into another has no row: it counts with the case it joined."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="+")
    place = models.ForeignKey("registry.OrgNode", null=True, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField()
    received_on = models.DateField(db_index=True)  # the local day of receipt: the cohort's key
    kind = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    sub_channel = models.CharField(max_length=32, blank=True)
    closed_at = models.DateTimeField(null=True)
    close_tenths = models.PositiveIntegerField(null=True)  # days from receipt to close, in tenths of a day
    received = models.PositiveSmallIntegerField(default=1)
    triaged = models.PositiveSmallIntegerField(default=0)
    retriaged = models.PositiveSmallIntegerField(default=0)
    closed = models.PositiveSmallIntegerField(default=0)
    resolved = models.PositiveSmallIntegerField(default=0)
    grassroots = models.PositiveSmallIntegerField(default=0)
    own_level = models.PositiveSmallIntegerField(default=0)
    escalated = models.PositiveSmallIntegerField(default=0)
    lapsed = models.PositiveSmallIntegerField(default=0)
    ratings = models.PositiveSmallIntegerField(default=0)
    ratings_good = models.PositiveSmallIntegerField(default=0)
    visits = models.PositiveSmallIntegerField(default=0)
    visits_good = models.PositiveSmallIntegerField(default=0)
    deadlined = models.PositiveSmallIntegerField(default=0)
    timely = models.PositiveSmallIntegerField(default=0)
    urgent = models.PositiveSmallIntegerField(default=0)
    dispatch_met = models.PositiveSmallIntegerField(default=0)
    dispatch_missed = models.PositiveSmallIntegerField(default=0)
    arrive_met = models.PositiveSmallIntegerField(default=0)
    arrive_missed = models.PositiveSmallIntegerField(default=0)
    result_met = models.PositiveSmallIntegerField(default=0)
    result_missed = models.PositiveSmallIntegerField(default=0)
    reinforce_met = models.PositiveSmallIntegerField(default=0)
    reinforce_missed = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.place_id} {self.received_on}"


class Figures(models.Model):
    """The sums of the `CaseFact` counts of the cases received in one bucket of time in one node's
    subtree, of one kind and sub-channel, and how many closed after how long (`close_days`: tenths of a
    day → cases, for the median). A case counts at its place and at every node above it."""

    node = models.ForeignKey("registry.OrgNode", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, blank=True)
    sub_channel = models.CharField(max_length=32, blank=True)
    close_days = models.JSONField(default=dict, blank=True)
    received = models.PositiveIntegerField(default=0)
    triaged = models.PositiveIntegerField(default=0)
    retriaged = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    grassroots = models.PositiveIntegerField(default=0)
    own_level = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    lapsed = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    ratings_good = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    visits_good = models.PositiveIntegerField(default=0)
    deadlined = models.PositiveIntegerField(default=0)
    timely = models.PositiveIntegerField(default=0)
    urgent = models.PositiveIntegerField(default=0)
    dispatch_met = models.PositiveIntegerField(default=0)
    dispatch_missed = models.PositiveIntegerField(default=0)
    arrive_met = models.PositiveIntegerField(default=0)
    arrive_missed = models.PositiveIntegerField(default=0)
    result_met = models.PositiveIntegerField(default=0)
    result_missed = models.PositiveIntegerField(default=0)
    reinforce_met = models.PositiveIntegerField(default=0)
    reinforce_missed = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DayFigures(Figures):
    """The cases received on one day (local time): what a period's first and last, partial months
    read."""

    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "day", "kind", "sub_channel"], name="one_row_per_day_figures")]
        indexes = [models.Index(fields=["day"], name="dayfigures_day_idx")]  # a day's rows are rebuilt together

    def __str__(self) -> str:
        return f"{self.node_id} {self.day} {self.kind} {self.sub_channel}"


class MonthFigures(Figures):
    """The cases received in one calendar month (`month`: its first day): the sums of that month's
    day rows, so a year reads twelve rows per kind and sub-channel instead of 365 (docs/kpis.md)."""

    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["node", "month", "kind", "sub_channel"],
                                               name="one_row_per_month_figures")]
        indexes = [models.Index(fields=["month"], name="monthfigures_month_idx")]

    def __str__(self) -> str:
        return f"{self.node_id} {self.month:%Y-%m} {self.kind} {self.sub_channel}"


class Cursor(models.Model):
    """How far the sweep has read the case events: `fresh` at once, `settled` again once an event is
    old enough that every transaction that wrote an earlier id has committed (docs/kpis.md)."""

    name = models.CharField(max_length=16, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class WallScreen(models.Model):
    """A read-only screen session (大屏): a browser on the command centre's wall that shows one node's
    figures and refreshes by itself, without a staff account — so the 30-minute idle rule does not end
    it. Its cookie holds a random token; only the token's SHA-256 is kept. Issued and revoked by the
    street's command centre (operator or street officer), each audited."""

    node = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围"))
    label = models.CharField(_("名称"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("发放时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("收回时间"), null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_seen_at = models.DateTimeField(_("最近刷新"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("大屏授权")
        verbose_name_plural = _("大屏授权")

    def __str__(self) -> str:
        return self.label

"""The responsibility catalogue, versioned: every edit makes a new version, and a case keeps
the item (and so the version) it was triaged with."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PUBLIC = "PUBLIC", _("公事")
    SHARED = "SHARED", _("共事")
    HOUSEHOLD = "HOUSEHOLD", _("家事")


class CatalogueVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)
    note = models.CharField(_("修订说明"), max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")

    def __str__(self) -> str:
        return f"v{self.number}"


class CatalogueItem(models.Model):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("编码"), max_length=8)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("事项"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    examples = models.JSONField(_("示例"), default=list, blank=True)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("默认办理时限（工作日）"), default=15)

    class Meta:
        ordering = ["version", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_item_per_version")]
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

"""季度通报 (quarterly bulletins, SPEC §2 Bulletin, §3.6) and the 文号 counters.

A bulletin is one generated version for a cycle and a quarter: its `content` is the
snapshot the builder (`reports.bulletins.content`) made from the data dated up to the
quarter's end, so the page, the PDF and the workbook always show the same thing and a
later change of the data never changes a bulletin already made. Each generation adds a
version; a 草稿 takes the county's 下步工作要求 text; 签发 (issue) gives it a 文号 from the
county's counter and freezes it for good.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User, audit_history


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已签发")


class BulletinQuerySet(models.QuerySet):
    def for_user(self, user):
        """Bulletins of the cycles the user sees (`reports.bulletins.selectors` narrows
        it further: a secretary reads issued ones only)."""
        return self.filter(cycle__in=Cycle.objects.for_user(user))


class Bulletin(models.Model):
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="bulletins"
    )
    quarter = models.PositiveSmallIntegerField(_("季度"))
    # 1, 2, … per cycle and quarter, in the order the versions were generated.
    revision = models.PositiveIntegerField(_("版本"))
    state = models.CharField(
        _("状态"), max_length=16, choices=BulletinState.choices, default=BulletinState.DRAFT
    )
    cutoff = models.DateField(_("数据截止日期"))
    # The snapshot every rendering reads (see the module's docstring).
    content = models.JSONField(_("内容"), default=dict)
    # 八、下步工作要求: written by the county before 签发.
    requirements = models.TextField(_("下步工作要求"), blank=True)
    generated_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # None: made by the schedule at the quarter's end.
    generated_by = models.ForeignKey(
        User,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("文号"), max_length=64, blank=True)
    issued_by = models.ForeignKey(
        User,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    # The snapshot is written once, when the version is generated; the trail keeps who
    # generated, edited and issued it, not a copy of every table.
    history = audit_history(excluded_fields=["content"])
    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("季度通报")
        verbose_name_plural = _("季度通报")
        ordering = ["cycle", "-quarter", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "quarter", "revision"], name="bulletin_revision_once"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="bulletin_quarter_1_to_4"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | ~Q(number=""), name="bulletin_issued_has_number"
            ),
        ]

    def __str__(self):
        return _("%(cycle)s 第%(q)d季度通报（第%(r)d版）") % {
            "cycle": self.cycle.name,
            "q": self.quarter,
            "r": self.revision,
        }

    def save(self, *args, **kwargs):
        """An issued bulletin is never changed again, whatever the path (a service, the
        admin, a script): the row as stored decides."""
        if self.pk is not None and self._stored_issued():
            raise ValidationError(_("已签发的通报不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk is not None and self._stored_issued():
            raise ValidationError(_("已签发的通报不能删除。"))
        return super().delete(*args, **kwargs)

    @property
    def is_issued(self):
        return self.state == BulletinState.ISSUED

    def _stored_issued(self):
        return type(self).objects.filter(pk=self.pk, state=BulletinState.ISSUED).exists()

    def audit_scope_path(self):
        return self.cycle.county.path


class DocumentCounter(models.Model):
    """The county's running number of a kind of document in a year: 文号 such as
    青组通〔2026〕3号 take the prefix, the year and the next number."""

    county = models.ForeignKey(
        OrgUnit, verbose_name=_("所属县/区"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveIntegerField(_("年度"))
    # The issuing office's short name before the year, e.g. 青组通.
    prefix = models.CharField(_("发文字号前缀"), max_length=32)
    last = models.PositiveIntegerField(_("已用到"), default=0)

    history = audit_history()

    class Meta:
        verbose_name = _("文号计数")
        verbose_name_plural = _("文号计数")
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="document_counter_once")
        ]

    def __str__(self):
        return f"{self.prefix}〔{self.year}〕{self.last}号"

    def audit_scope_path(self):
        return self.county.path

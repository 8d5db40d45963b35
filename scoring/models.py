"""Score entries (评分, SPEC §2): one rater's value for one participant, leaf and source.

Sources are the 三评: 自评 self, 目标 target (目标量评), 组织 org (组织考评). Entries point
at the leaves of the cycle's frozen template, so later template edits never move them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant, User, audit_history
from indicators.models import BarsLevel, IndicatorNode


class Source(models.TextChoices):
    SELF = "self", _("自评")
    TARGET = "target", _("目标量评")
    ORG = "org", _("组织考评")


class ScoreEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Entries of participants the user reaches (a secretary: only their own)."""
        return self.filter(participant__in=Participant.objects.for_user(user))


class ScoreEntry(models.Model):
    participant = models.ForeignKey(
        Participant, verbose_name=_("参评书记"), on_delete=models.CASCADE, related_name="scores"
    )
    leaf = models.ForeignKey(
        IndicatorNode, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="scores"
    )
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    rater = models.ForeignKey(
        User, verbose_name=_("评分人"), on_delete=models.PROTECT, related_name="scores_given"
    )
    value = models.DecimalField(_("分数"), max_digits=7, decimal_places=2)
    level = models.ForeignKey(
        BarsLevel,
        verbose_name=_("行为锚定等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history()
    objects = ScoreEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["participant", "leaf__sort_key", "source", "rater"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "leaf", "source", "rater"], name="score_entry_unique"
            )
        ]

    def __str__(self):
        return f"{self.participant} · {self.leaf.code} · {self.get_source_display()} · {self.value}"

    def audit_scope_path(self):
        return self.participant.community.path

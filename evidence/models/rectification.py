"""Rectification lists (整改清单, SPEC §2): problems found in feedback — results,
bulletins, appeals, verified deduction events — with owner, deadline, status and
evidence of closure. Open items carry over into the county's next cycle
(`carried_from`). Services: `evidence.rectification`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle, Participant
from org.models import OrgUnit, User, audit_history


class RectificationSource(models.TextChoices):
    RESULT = "result", _("考核结果反馈")
    BULLETIN = "bulletin", _("季度通报")
    APPEAL = "appeal", _("申诉复核")
    EVENT = "event", _("扣分事项")
    CARRIED = "carried", _("上期结转")
    OTHER = "other", _("其他")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    IN_PROGRESS = "in_progress", _("整改中")
    CLOSED = "closed", _("已销号")


OPEN_RECTIFICATION_STATUSES = (RectificationStatus.OPEN, RectificationStatus.IN_PROGRESS)


class RectificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            cycle__in=Cycle.objects.for_user(user),
            community__in=OrgUnit.objects.for_user(user),
        )

    def unresolved(self):
        return self.filter(status__in=OPEN_RECTIFICATION_STATUSES)


class RectificationItem(models.Model):
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="rectifications"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("参评书记"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    source = models.CharField(_("问题来源"), max_length=16, choices=RectificationSource.choices)
    event = models.ForeignKey(
        "evidence.Event",
        verbose_name=_("扣分事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    appeal = models.ForeignKey(
        "scoring.Appeal",
        verbose_name=_("申诉"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    carried_from = models.OneToOneField(
        "self",
        verbose_name=_("结转自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_to",
    )
    problem = models.TextField(_("问题描述"))
    measures = models.TextField(_("整改措施"), blank=True)
    owner = models.CharField(_("责任人"), max_length=100)
    deadline = models.DateField(_("整改时限"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    closure_note = models.TextField(_("整改结果"), blank=True)
    closed_by = models.ForeignKey(
        User,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalrectificationitem")
    objects = RectificationQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_rectificationitem"
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改清单")
        ordering = ["cycle", "status", "deadline", "pk"]

    def __str__(self):
        return self.problem[:40]

    def audit_scope_path(self):
        return self.community.path

"""专项奖励 lines of the 分档定薪表 (SPEC §2 Pay band sheet).

The sheet itself is not stored: it is read from the cycle's published result version
(`reports.paybands.selectors`), so it is frozen with the published results and changes
only when a new version is published. What is stored are the special rewards a county
grants on top of the tier pay (the seed's 专项奖励: 超额任务, 创新项目): a county admin or
assessor adds a line, a second one approves or rejects it (four eyes). Only approved
lines count in the totals.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant
from org.models import User, audit_history
from org.scope import Role, scope_of

# Who reads a cycle's pay-band sheet and its reward lines: the county's own staff. Pay
# is a county matter: the sheet totals the whole county, so town staff read their rows
# on the ranking page instead.
PAY_SHEET_READERS = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.OBSERVER})


class RewardKind(models.TextChoices):
    EXCESS_TASK = "excess_task", _("超额任务")
    INNOVATION = "innovation", _("创新项目")
    OTHER = "other", _("其他")


class RewardStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")


class SpecialRewardQuerySet(models.QuerySet):
    def for_user(self, user):
        """Lines of cycles whose whole county the user reads (PAY_SHEET_READERS)."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        return self.filter(scope.path_q("participant__cycle__county__path", PAY_SHEET_READERS))

    def approved(self):
        return self.filter(status=RewardStatus.APPROVED)


class SpecialReward(models.Model):
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("参评书记"),
        on_delete=models.CASCADE,
        related_name="special_rewards",
    )
    kind = models.CharField(_("奖励类别"), max_length=16, choices=RewardKind.choices)
    reason = models.TextField(_("奖励事由"))
    amount = models.DecimalField(_("奖励金额"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=16, choices=RewardStatus.choices, default=RewardStatus.PENDING
    )
    added_by = models.ForeignKey(
        User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = SpecialRewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("专项奖励")
        verbose_name_plural = _("专项奖励")
        ordering = ["participant__cycle", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="special_reward_positive"),
            # Four eyes, kept by the database too: nobody decides their own line.
            models.CheckConstraint(
                condition=~Q(decided_by=F("added_by")), name="special_reward_second_person"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="special_reward_decided_by_someone",
            ),
        ]

    def __str__(self):
        return _("%(who)s %(kind)s %(amount)s 元") % {
            "who": self.participant.secretary.name,
            "kind": self.get_kind_display(),
            "amount": self.amount,
        }

    @property
    def is_pending(self):
        return self.status == RewardStatus.PENDING

    @property
    def is_approved(self):
        return self.status == RewardStatus.APPROVED

    def audit_scope_path(self):
        return self.participant.community.path

"""Appeals (申诉/复核, SPEC §2): during 公示 a secretary contests their result; a county
assessor accepts it for review (only that participant is reopened), corrects scores
(each change kept with before and after), and decides; or rejects it with a reason."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant
from org.models import User, audit_history


class AppealStatus(models.TextChoices):
    FILED = "filed", _("待受理")
    REVIEWING = "reviewing", _("复核中")
    DECIDED = "decided", _("已办结")
    REJECTED = "rejected", _("不予受理")


OPEN_APPEAL_STATUSES = (AppealStatus.FILED, AppealStatus.REVIEWING)


class AppealQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(participant__in=Participant.objects.for_user(user))

    def open(self):
        return self.filter(status__in=OPEN_APPEAL_STATUSES)


class Appeal(models.Model):
    participant = models.ForeignKey(
        Participant, verbose_name=_("参评书记"), on_delete=models.CASCADE, related_name="appeals"
    )
    reasons = models.TextField(_("申诉理由"))
    evidence = models.TextField(_("佐证材料说明"), blank=True)
    filed_by = models.ForeignKey(
        User, verbose_name=_("申诉人"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("申诉时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AppealStatus.choices, default=AppealStatus.FILED
    )
    handled_by = models.ForeignKey(
        User,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decision = models.TextField(_("复核结论"), blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalappeal")
    objects = AppealQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_appeal"
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at", "-pk"]

    def __str__(self):
        return f"{self.participant} · {self.get_status_display()}"

    def audit_scope_path(self):
        return self.participant.community.path

    @property
    def is_open(self):
        return self.status in OPEN_APPEAL_STATUSES


class AppealChange(models.Model):
    """One score changed while reviewing an appeal: which, by whom, before and after."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="changes")
    entry_id_ref = models.PositiveBigIntegerField(_("评分记录"))
    leaf_code = models.CharField(_("指标编码"), max_length=32)
    leaf_name = models.CharField(_("指标名称"), max_length=100)
    source = models.CharField(_("来源"), max_length=8)
    rater = models.ForeignKey(
        User, verbose_name=_("评分人"), on_delete=models.PROTECT, related_name="+"
    )
    before = models.DecimalField(_("原分数"), max_digits=7, decimal_places=2, null=True)
    after = models.DecimalField(_("复核后分数"), max_digits=7, decimal_places=2)
    note = models.TextField(_("说明"), blank=True)
    changed_by = models.ForeignKey(
        User, verbose_name=_("修改人"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)

    history = audit_history(table_name="assessment_historicalappealchange")

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_appealchange"
        verbose_name = _("复核改分")
        verbose_name_plural = _("复核改分")
        ordering = ["appeal", "changed_at", "pk"]

    def __str__(self):
        return f"{self.leaf_code} {self.before} → {self.after}"

    def audit_scope_path(self):
        return self.appeal.participant.community.path

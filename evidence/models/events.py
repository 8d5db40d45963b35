"""Events (事项) and reform-risk filings (改革风险备案), SPEC §2, §3.1, §3.3.

An event is something that happened to a participant in a cycle, of one event type of
the cycle's frozen template. Only verified (已核实), non-exempt events count. An event
linked to an approved filing may be exempted (免责) by a county assessor: it then neither
deducts nor vetoes, and stays visible. Services: `evidence.events.services`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant
from org.models import User, audit_history


class EventStatus(models.TextChoices):
    REPORTED = "reported", _("待核实")
    VERIFIED = "verified", _("已核实")
    REJECTED = "rejected", _("不予认定")


class EventOrigin(models.TextChoices):
    REPORTED = "reported", _("上报")
    KEY_TASK = "key_task", _("重点工作")
    IMPORTED = "imported", _("导入")


class FilingStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")


class FilingOrigin(models.TextChoices):
    FILED = "filed", _("事前备案")
    IMPORTED = "imported", _("导入")


class ParticipantScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows about the participants the user reaches (a secretary: their own)."""
        return self.filter(participant__in=Participant.objects.for_user(user))


class ReformFiling(models.Model):
    """A secretary's exploratory initiative and its risks, filed in advance; the county
    approves or rejects it with a reason."""

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("参评书记"),
        on_delete=models.CASCADE,
        related_name="reform_filings",
    )
    title = models.CharField(_("改革事项"), max_length=200)
    description = models.TextField(_("主要举措"))
    risks = models.TextField(_("可能的风险"))
    status = models.CharField(
        _("状态"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.PENDING
    )
    filed_by = models.ForeignKey(
        User, verbose_name=_("备案人"), on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("备案时间"), auto_now_add=True)
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
    # An imported filing stands for the exemptions a county's workbook records: the file
    # carries no filing date, so it covers the imported events only and is not held to
    # the in-advance rule (its filed_at is the import's time, never back-dated).
    origin = models.CharField(
        _("来源"), max_length=16, choices=FilingOrigin.choices, default=FilingOrigin.FILED
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalreformfiling")
    objects = ParticipantScopedQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_reformfiling"
        verbose_name = _("改革风险备案")
        verbose_name_plural = _("改革风险备案")
        ordering = ["-filed_at", "-pk"]

    def __str__(self):
        return self.title

    def audit_scope_path(self):
        return self.participant.community.path


class Event(models.Model):
    participant = models.ForeignKey(
        Participant, verbose_name=_("参评书记"), on_delete=models.CASCADE, related_name="events"
    )
    event_type = models.ForeignKey(
        "indicators.EventType",
        verbose_name=_("事项类型"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    occurred_on = models.DateField(_("发生日期"))
    description = models.TextField(_("情况说明"))
    origin = models.CharField(
        _("来源"), max_length=16, choices=EventOrigin.choices, default=EventOrigin.REPORTED
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=EventStatus.choices, default=EventStatus.REPORTED
    )
    reported_by = models.ForeignKey(
        User,
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    verified_by = models.ForeignKey(
        User,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verification_note = models.TextField(_("核实意见"), blank=True)
    filing = models.ForeignKey(
        ReformFiling,
        verbose_name=_("关联改革备案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    exempt = models.BooleanField(_("免责"), default=False)
    exempted_by = models.ForeignKey(
        User,
        verbose_name=_("免责认定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    exempted_at = models.DateTimeField(_("免责认定时间"), null=True, blank=True)
    exemption_reason = models.TextField(_("免责理由"), blank=True)
    # The key-task assignment whose completion raised this event (origin 重点工作).
    key_task = models.ForeignKey(
        "evidence.KeyTaskAssignment",
        verbose_name=_("重点工作"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalevent")
    objects = ParticipantScopedQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_event"
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["participant", "status"], name="event_participant_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(exempt=False) | Q(filing__isnull=False),
                name="event_exempt_needs_filing",
            )
        ]

    def __str__(self):
        return f"{self.event_type.name} {self.occurred_on:%Y-%m-%d}"

    def audit_scope_path(self):
        return self.participant.community.path

    @property
    def counts(self):
        """SPEC §3.1/§3.3: only verified, non-exempt events count."""
        return self.status == EventStatus.VERIFIED and not self.exempt

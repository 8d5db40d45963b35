"""Evidence attachments (佐证材料, SPEC §2, DESIGN §4): files attached to one leaf of a
self-evaluation, an appeal, an event, a key-task progress report or a rectification item.

The file lives under MEDIA_ROOT, outside the web root, at a random path that says
nothing about its original name; it is read only through the scoped download view. The
service `evidence.attachments.services` checks the type from the content and the size before
anything is written.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant
from org.models import OrgUnit, User, audit_history
from scoring.models.appeals import Appeal


def evidence_path(instance, filename):
    """`evidence/<year>/<random hex>`: no original name, no extension, nothing guessable."""
    return f"evidence/{timezone.localdate():%Y}/{uuid.uuid4().hex}"


class AttachmentQuerySet(models.QuerySet):
    def for_user(self, user):
        """Attachments of the participants the user reaches (a secretary: their own);
        those of a community's records (key-task progress, rectification) follow the
        community."""
        return self.filter(
            Q(participant__in=Participant.objects.for_user(user))
            | Q(participant__isnull=True, community__in=OrgUnit.objects.for_user(user))
        )


class Attachment(models.Model):
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("参评书记"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    # Set on every attachment; the scope of those without a participant.
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    leaf = models.ForeignKey(
        "indicators.IndicatorNode",
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appeal = models.ForeignKey(
        Appeal,
        verbose_name=_("申诉"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    event = models.ForeignKey(
        "evidence.Event",
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    progress_report = models.ForeignKey(
        "evidence.ProgressReport",
        verbose_name=_("进度报告"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    rectification = models.ForeignKey(
        "evidence.RectificationItem",
        verbose_name=_("整改事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    # The audit trail shows the file's name, not where it is stored or how it is checked.
    audit_hidden_fields = ("file", "content_type", "sha256")
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = audit_history(table_name="assessment_historicalattachment")
    objects = AttachmentQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_attachment"
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(leaf__isnull=True) | Q(appeal__isnull=True),
                name="attachment_one_owner",
            )
        ]

    def __str__(self):
        return self.original_name

    def audit_scope_path(self):
        return (self.community or self.participant.community).path

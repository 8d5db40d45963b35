"""通知: messages to one person about something that happened in their work, shown in
the product (the bell, the notifications page) and, unless they turned it off for that
kind, sent by e-mail.

The org app holds them because it knows users and scope; the apps above send them
through `org.notifications.services.notify` where the thing happens.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    SELF_EVALUATION_OPENED = "selfeval_opened", _("自评开始")
    SELF_EVALUATION_CLOSING = "selfeval_closing", _("自评即将截止")
    SELF_EVALUATION_RETURNED = "selfeval_returned", _("自评被退回")
    EVENT_REPORTED = "event_reported", _("事项被报告")
    EVENT_VERIFIED = "event_verified", _("事项已核实")
    EVENT_REJECTED = "event_rejected", _("事项不予认定")
    SUMMONS = "summons", _("约谈提醒")
    FILING_DECIDED = "filing_decided", _("备案已审批")
    RESULTS_IN_REVIEW = "results_in_review", _("结果公示")
    RESULTS_PUBLISHED = "results_published", _("结果发布")
    APPEAL_DECIDED = "appeal_decided", _("申诉已处理")
    BULLETIN_ISSUED = "bulletin_issued", _("通报已签发")
    JOB_FINISHED = "job_finished", _("任务完成")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Only the user's own notifications: nobody reads another person's."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person. `url` is a path in the product; `scope_path` is the
    org path of what it is about (empty: about the recipient themself, e.g. their job);
    `dedupe_key` names a reminder's object and date, so it is sent once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    scope_path = models.CharField(max_length=255, blank=True, default="")
    dedupe_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            # The bell counts unread rows on every page.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_sent_once",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def link(self):
        """The url if it is a path in the product, never a link to another site."""
        return self.url if self.url.startswith("/") and not self.url.startswith("//") else ""


class NotificationPreference(models.Model):
    """A person's choice for one kind: e-mail on or off. No row: e-mail on. In-app
    notifications cannot be turned off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    email = models.BooleanField(_("发送邮件"), default=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}"

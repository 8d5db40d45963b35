"""The scoring app's 通知 (`org.notifications`): a self-evaluation returned, an appeal
decided, and what the cycle's lifecycle means for each participant's secretary —
自评开始 when it opens, 自评即将截止 three days before its due date (a daily reminder),
结果公示 and 结果发布 with a link to their own results.
Every notice is about one participation, so only its secretary receives it."""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, Participant
from org.notifications.models import NotificationKind as Kind
from org.notifications.services import Notice, deliver, in_product_language, notify
from scoring.models import AppealStatus, SelfEvaluationStatus


@in_product_language
def self_evaluation_returned(participant, reason):
    secretary = participant.secretary.user_id
    notify(
        [secretary],
        Kind.SELF_EVALUATION_RETURNED,
        _("您的自我检评已被退回，请修改后重新提交"),
        reverse("selfeval", args=[participant.pk]),
        body=_("退回原因：%(reason)s") % {"reason": reason},
        scope_path=participant.community.path,
        owner=secretary,
    )


@in_product_language
def appeal_decided(appeal):
    participant = appeal.participant
    if appeal.status == AppealStatus.REJECTED:
        title = _("您的申诉不予受理")
        body = _("理由：%(decision)s") % {"decision": appeal.decision}
    else:
        title = _("您的申诉已办结")
        body = _("复核结论：%(decision)s") % {"decision": appeal.decision}
    notify(
        [appeal.filed_by_id],
        Kind.APPEAL_DECIDED,
        title,
        reverse("appeal-detail", args=[appeal.pk]),
        body=body,
        scope_path=participant.community.path,
        owner=appeal.filed_by_id,
    )


def _lifecycle_notices(cycle, name):
    """{transition: (kind, page of the participant, title, body)}."""
    words = {"cycle": cycle.name}
    return {
        "open": (
            Kind.SELF_EVALUATION_OPENED,
            "selfeval",
            _("“%(cycle)s”已开始，请填写自我检评") % words,
            _("考核进行中可以保存草稿，填好后提交；进入评分阶段后不能再修改。"),
        ),
        "start_review": (
            Kind.RESULTS_IN_REVIEW,
            "result-detail",
            _("“%(cycle)s”考核结果公示中") % words,
            _("请查看本人的考核结果和计分卡；如有异议，可在公示期间提出申诉。"),
        ),
        "publish": (
            Kind.RESULTS_PUBLISHED,
            "result-detail",
            _("“%(cycle)s”考核结果已发布") % words,
            _("等次、档次和绩效报酬已生效，可以查看本人的最终结果。"),
        ),
    }.get(name)


@in_product_language
def cycle_moved(cycle, name, actor):
    """Listener of `assessment.services.transition`: one notice to every participant's
    secretary when the cycle opens, goes to 公示 and is published (one read, one
    insert)."""
    found = _lifecycle_notices(cycle, name)
    if found is None:
        return
    kind, page, title, body = found
    participants = Participant.objects.filter(
        cycle=cycle, secretary__user__isnull=False
    ).values_list("pk", "secretary__user_id", "community__path")
    deliver(
        Notice(
            user_id,
            kind,
            title,
            reverse(page, args=[pk]),
            body,
            scope_path=path,
            owner=user_id,
        )
        for pk, user_id, path in participants
    )


# 自评即将截止: told this many days before the cycle's self-evaluation due date (and on
# each day after, until the date, to whoever the daily run missed: once each).
DUE_WARNING_DAYS = 3


@in_product_language
def self_evaluation_reminders(today):
    """Every secretary of an open cycle whose self-evaluation due date is at most three
    days away and who has not submitted (not started, draft, or returned): once per
    participation and due date."""
    notices = []
    participants = (
        Participant.objects.filter(
            cycle__status=CycleStatus.OPEN,
            cycle__self_evaluation_due__gte=today,
            cycle__self_evaluation_due__lte=today + timedelta(days=DUE_WARNING_DAYS),
            secretary__user__isnull=False,
        )
        .exclude(self_evaluation__status=SelfEvaluationStatus.SUBMITTED)
        .select_related("cycle", "community", "secretary")
    )
    for participant in participants:
        cycle = participant.cycle
        due = cycle.self_evaluation_due
        user_id = participant.secretary.user_id
        notices.append(
            Notice(
                user_id,
                Kind.SELF_EVALUATION_CLOSING,
                _("“%(cycle)s”的自我检评将于 %(due)s 截止，您还没有提交")
                % {"cycle": cycle.name, "due": due.isoformat()},
                reverse("selfeval", args=[participant.pk]),
                _("请在截止日期前填好并提交；已保存的草稿不会自动提交。"),
                scope_path=participant.community.path,
                owner=user_id,
                key=f"selfeval-due:{participant.pk}:{due.isoformat()}",
            )
        )
    return notices

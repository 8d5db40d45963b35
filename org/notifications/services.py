"""The writes of 通知: send (`notify`, `deliver`), read (`mark_read`), e-mail choices
(`set_email_preferences`), the e-mail itself (`send_email`) and the daily reminders
(`send_reminders`).

Who receives what (DESIGN §4, scope first): a notice about an object names the object's
org path (`scope_path`). A recipient gets it only if
- they are the object's `owner`: the secretary whose participation it is (a secretary's
  own membership reaches nobody but themself, so this is the only way a secretary is
  told anything about an object), or
- their scope covers the path through a role that reaches a subtree (admin, assessor,
  observer): `scope_of(user).covers_path(scope_path)`.
Anyone else named as a recipient is skipped silently. A notice without `scope_path` is
about the recipient themself (their own job) and always reaches them.

Notices are stored in the product's language (`settings.LANGUAGE_CODE`), as their
e-mails are, whatever the language of the page that caused them (`in_product_language`).
"""

import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from org.models import User
from org.notifications import tasks
from org.notifications.models import Notification, NotificationKind, NotificationPreference
from org.notifications.reminders import reminder_sources
from org.scope import scope_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One message to one person. `recipient` and `owner` are users or user ids; `key`
    (reminders) names the object and the date, so the same reminder is stored once."""

    recipient: object
    kind: str
    title: str
    url: str = ""
    body: str = ""
    scope_path: str | None = None
    owner: object = None
    key: str = ""


def in_product_language(func):
    """Run a function that words notices in the product's language."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper


def _pk(user):
    return getattr(user, "pk", user)


def notify(recipients, kind, title, url, body="", scope_path=None, owner=None):
    """The same notice to each of `recipients` (users or ids) who may receive it (see
    the module docstring); returns the stored notifications."""
    return deliver(
        Notice(r, kind, title, url, body, scope_path, owner) for r in recipients if r is not None
    )


def deliver(notices):
    """Store the notices their recipients may receive, all in one insert, and e-mail the
    new ones to recipients who have an address and did not turn e-mail off for the kind,
    once the caller's transaction commits. A keyed notice already stored is not stored
    again. At most four queries, whatever the number of notices (scope checks aside:
    one per recipient who is not the owner, unless their scope is already loaded)."""
    notices = [n for n in notices if n.recipient is not None]
    users = _recipients(notices)
    notices = [n for n in notices if _reaches(users.get(_pk(n.recipient)), n)]
    notices = _not_sent_yet(notices)
    if not notices:
        return []
    rows = Notification.objects.bulk_create(
        Notification(
            recipient_id=_pk(n.recipient),
            kind=n.kind,
            title=str(n.title)[:200],
            body=str(n.body),
            url=n.url,
            scope_path=n.scope_path or "",
            dedupe_key=n.key,
        )
        for n in notices
    )
    to_email = _wanting_email(rows, users)
    if to_email:
        # robust: a broker that is down loses the e-mails, never the notifications.
        transaction.on_commit(functools.partial(tasks.enqueue_emails, to_email), robust=True)
    return rows


def _recipients(notices):
    """{id: user} of every recipient, reading only those passed as ids (one query)."""
    users = {n.recipient.pk: n.recipient for n in notices if isinstance(n.recipient, User)}
    missing = {n.recipient for n in notices if not isinstance(n.recipient, User)} - set(users)
    if missing:
        users.update(User.objects.in_bulk(missing))
    return users


def _reaches(user, notice):
    if user is None or not user.is_active:
        return False
    if notice.scope_path is None:
        return True
    if notice.owner is not None and _pk(notice.owner) == user.pk:
        return True
    return scope_of(user).covers_path(notice.scope_path)


def _not_sent_yet(notices):
    """Keyed notices not stored before (nor twice in this batch)."""
    keyed = [n for n in notices if n.key]
    if not keyed:
        return notices
    stored = set(
        Notification.objects.filter(
            recipient_id__in={_pk(n.recipient) for n in keyed},
            dedupe_key__in={n.key for n in keyed},
        ).values_list("recipient_id", "kind", "dedupe_key")
    )
    kept = []
    for notice in notices:
        if notice.key:
            identity = (_pk(notice.recipient), notice.kind, notice.key)
            if identity in stored:
                continue
            stored.add(identity)
        kept.append(notice)
    return kept


def _wanting_email(rows, users):
    with_address = {r.recipient_id for r in rows if users[r.recipient_id].email}
    if not with_address:
        return []
    off = set(
        NotificationPreference.objects.filter(
            user_id__in=with_address, kind__in={r.kind for r in rows}, email=False
        ).values_list("user_id", "kind")
    )
    return [
        r.pk for r in rows if r.recipient_id in with_address and (r.recipient_id, r.kind) not in off
    ]


def email_link(path):
    """An absolute link for an e-mail: the product's address (EMAIL_LINK_BASE_URL) and
    the path."""
    return settings.EMAIL_LINK_BASE_URL.rstrip("/") + path


def send_email(notification_id):
    """E-mail one notification, once: the row is locked and stamped in the same
    transaction, so a task run twice (acks_late redelivery) sends it once. Returns
    whether it was sent now."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        recipient = notification.recipient if notification else None
        if recipient is None or not recipient.email or not recipient.is_active:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【社区书记绩效考核系统】%(title)s") % {"title": notification.title}
            lines = [notification.title]
            if notification.body:
                lines += ["", notification.body]
            if notification.url:
                lines += ["", _("查看详情：%(link)s") % {"link": email_link(notification.url)}]
            lines += [
                "",
                _("不想再收到这类邮件？请在“通知设置”中关闭：%(link)s")
                % {"link": email_link(reverse("notification-settings"))},
            ]
        send_mail(
            subject,
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            [recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def mark_read(user, ids=None):
    """Mark the user's unread notifications read: those with the given ids, or all of
    them (`ids` None). Ids of other people's notifications change nothing. Returns how
    many were marked."""
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def set_email_preferences(user, email_kinds):
    """E-mail on for the kinds in `email_kinds`, off for every other kind."""
    wanted = set(email_kinds)
    NotificationPreference.objects.filter(user=user).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, kind=kind, email=False)
        for kind in NotificationKind.values
        if kind not in wanted
    )


def send_reminders(today):
    """Run every registered reminder source for `today` and store what they find, each
    reminder once (its key). A source that fails is logged and the others still run.
    Returns how many notifications were stored."""
    stored = 0
    for source in reminder_sources():
        try:
            with transaction.atomic():
                stored += len(deliver(source(today)))
        except Exception:
            logger.exception("reminder source %s failed", source.__qualname__)
    return stored

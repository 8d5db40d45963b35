"""Reads of 通知: the bell's unread count, the user's list, their e-mail choices."""

from org.notifications.models import Notification, NotificationKind, NotificationPreference


def unread_count(user):
    """One query (a partial index on unread rows)."""
    return Notification.objects.for_user(user).unread().count()


def inbox(user):
    """The user's notifications, newest first (paginate it)."""
    return Notification.objects.for_user(user).order_by("-created_at", "-pk")


def email_choices(user):
    """[(kind, label, e-mail on)] for every kind, in the kinds' order (one query)."""
    off = set(
        NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True)
    )
    return [(kind, label, kind not in off) for kind, label in NotificationKind.choices]

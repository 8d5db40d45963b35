"""Reminders that come with time (自评即将截止, 约谈提醒): the apps that know the dates
register a source here in their `AppConfig.ready` (DESIGN §2: the org app imports none
of them); the daily job (`org.notifications.tasks.send_reminders`) runs them all.

A source is `source(today) -> iterable of services.Notice`, each with a `key` naming the
object and the date it is about, so that running the job twice on a day (or on the next
day, while the thing still holds) stores each reminder once.
"""

_SOURCES = []


def register_reminder_source(source):
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def reminder_sources():
    return list(_SOURCES)

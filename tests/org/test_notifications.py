"""通知 (issue 15): stored for each recipient in scope, e-mailed once after the commit
unless the person turned e-mail off for the kind; the bell in the nav bar, the list,
marking read, the e-mail settings; the daily reminder job and its beat schedule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_celery_beat.models import PeriodicTask

from config.celery import app
from org.context_processors import notifications as bell_context
from org.models import User
from org.notifications import reminders, selectors, services, tasks
from org.notifications.models import Notification, NotificationKind, NotificationPreference
from org.notifications.services import Notice

pytestmark = pytest.mark.usefixtures("shared_world")

KIND = NotificationKind.EVENT_REPORTED


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.cn"
        User.objects.filter(pk=user.pk).update(email=user.email)


def send(recipients, kind=KIND, title="有一件事项报告到您名下", **options):
    return services.notify(recipients, kind, title, options.pop("url", "/cycles/"), **options)


def recipients(rows):
    return {row.recipient.username for row in rows}


# --- storing and e-mailing -----------------------------------------------------------


def test_notify_stores_a_row_per_recipient_and_emails_after_the_commit(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with_email(world.county_assessor_a, world.town_assessor_a)
    with django_capture_on_commit_callbacks() as callbacks:
        rows = send(
            [world.county_assessor_a, world.town_assessor_a],
            body="发生日期：2026-05-10。",
            url="/events/7/",
            scope_path=world.community_a1.path,
        )
        assert len(rows) == 2 and mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == ["county_a@example.cn", "town_a@example.cn"]
    mail = mailoutbox[0]
    assert mail.subject == "【社区书记绩效考核系统】有一件事项报告到您名下"
    assert "发生日期：2026-05-10。" in mail.body
    assert "http://127.0.0.1:8000/events/7/" in mail.body
    assert "http://127.0.0.1:8000/notifications/settings/" in mail.body
    stored = Notification.objects.filter(pk__in=[r.pk for r in rows])
    assert all(n.emailed_at is not None and n.read_at is None for n in stored)
    assert {n.scope_path for n in stored} == {world.community_a1.path}


def test_email_is_turned_off_per_kind_and_in_app_stays(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    me = world.town_assessor_a
    with_email(me)
    wanted = set(NotificationKind.values) - {NotificationKind.EVENT_VERIFIED}
    services.set_email_preferences(me, wanted)
    with django_capture_on_commit_callbacks(execute=True):
        send([me], NotificationKind.EVENT_VERIFIED, "事项已核实")
        send([me], NotificationKind.EVENT_REJECTED, "事项不予认定")
    assert [m.subject for m in mailoutbox] == ["【社区书记绩效考核系统】事项不予认定"]
    assert Notification.objects.filter(recipient=me).count() == 2


def test_no_address_no_email(world, mailoutbox, django_capture_on_commit_callbacks):
    assert not world.observer_a.email
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = send([world.observer_a])
    assert mailoutbox == []
    row.refresh_from_db()
    assert row.emailed_at is None


def test_an_email_is_sent_once_even_if_the_task_runs_twice(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with_email(world.county_assessor_a)
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = send([world.county_assessor_a])
    assert len(mailoutbox) == 1
    assert tasks.send_emails.delay([row.pk]).get() == 0  # a redelivered message
    assert len(mailoutbox) == 1


def test_notices_are_worded_in_the_products_language():
    """A change made from an English page still tells the secretary in Chinese."""

    @services.in_product_language
    def word():
        return gettext("首页")

    with translation.override("en"):
        assert gettext("首页") == "Home"
        assert word() == "首页"


# --- scope ---------------------------------------------------------------------------


def test_a_recipient_outside_the_objects_scope_gets_nothing(world):
    """Staff hear about an object only where their scope reaches it: the town assessor
    of another town, the other county's admin and other secretaries are skipped."""
    everyone = [
        world.admin_a,
        world.county_assessor_a,
        world.town_assessor_a,
        world.observer_a,
        world.outsider_b,
        world.split_person,
        world.secretaries["a2"].user,
        world.secretaries["c1"].user,
    ]
    rows = send(everyone, scope_path=world.community_a1.path)
    assert recipients(rows) == {"admin_a", "county_a", "town_a", "observer_a", "split"}
    rows = send(everyone, scope_path=world.community_b1.path)
    assert recipients(rows) == {"admin_a", "county_a", "outsider_b"}


def test_a_secretary_hears_only_about_their_own_participation(world):
    a1, a2 = world.secretaries["a1"].user, world.secretaries["a2"].user
    path = world.community_a1.path
    assert recipients(send([a1, a2], scope_path=path, owner=a1)) == {"sec_a1"}
    # Their own community's path does not make them a reader of it: only ownership.
    assert send([a1], scope_path=path) == []
    # Passing ids works the same as passing users.
    assert recipients(send([a1.pk, a2.pk], scope_path=path, owner=a1.pk)) == {"sec_a1"}


def test_a_notice_about_the_recipient_themself_reaches_them(world):
    """No scope path: the notice is about the recipient (their own job)."""
    rows = send([world.secretary_a1], NotificationKind.JOB_FINISHED, "导出已完成")
    assert recipients(rows) == {"sec_a1"}


def test_an_inactive_account_gets_nothing(world):
    User.objects.filter(pk=world.observer_a.pk).update(is_active=False)
    assert send([world.observer_a.pk], scope_path=world.community_a1.path) == []


# --- reading ---------------------------------------------------------------------------


def three_for(user, other):
    rows = [send([user], title=f"通知{i}", url=f"/events/{i}/")[0] for i in range(3)]
    send([other], title="别人的通知")
    return rows


def test_mark_read_marks_only_ones_own(world):
    me, other = world.county_assessor_a, world.admin_a
    first, second, _third = three_for(me, other)
    theirs = Notification.objects.get(recipient=other)
    assert services.mark_read(me, [first.pk, theirs.pk]) == 1
    assert selectors.unread_count(me) == 2 and selectors.unread_count(other) == 1
    assert services.mark_read(me) == 2
    assert selectors.unread_count(me) == 0 and selectors.unread_count(other) == 1
    assert services.mark_read(me, [second.pk]) == 0  # already read


def test_the_bell_shows_the_unread_count(world, login):
    me = world.town_assessor_a
    three_for(me, world.admin_a)
    html = login(me).get(reverse("home")).content.decode()
    assert 'aria-label="通知，3 条未读"' in html
    assert 'data-testid="notification-count">3<' in html
    services.mark_read(me)
    html = login(me).get(reverse("home")).content.decode()
    assert 'aria-label="通知，0 条未读"' in html and "notification-count" not in html


def test_the_bell_costs_one_query_and_none_for_anonymous(world, django_assert_num_queries):
    me = world.town_assessor_a
    three_for(me, world.admin_a)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=me.pk)
    context = bell_context(request)
    with django_assert_num_queries(1):
        assert context["bell"].unread == 3
        assert context["bell"].unread == 3
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert bell_context(request) == {}


def notification_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if '"org_notification"' in q["sql"]]


def test_a_page_reads_the_notifications_table_once_however_many_there_are(world, login):
    me = world.county_assessor_a
    assert len(notification_queries(login(me), reverse("home"))) == 1
    for _ in range(5):
        three_for(me, world.admin_a)
    assert len(notification_queries(login(me), reverse("home"))) == 1


def test_the_list_is_newest_first_unread_marked_and_links_to_each_thing(world, login):
    me = world.county_assessor_a
    first, second, third = three_for(me, world.admin_a)
    services.mark_read(me, [second.pk])
    response = login(me).get(reverse("notification-list"))
    assert [n.title for n in response.context["notifications"]] == ["通知2", "通知1", "通知0"]
    html = response.content.decode()
    assert "别人的通知" not in html
    assert html.count('data-unread="true"') == 2 and html.count('data-unread="false"') == 1
    assert all(f'href="/events/{i}/"' in html for i in range(3))
    assert reverse("notification-read", args=[third.pk]) in html
    assert reverse("notification-read", args=[second.pk]) not in html  # already read
    assert "全部标为已读" in html


def test_the_list_never_links_outside_the_product(world, login):
    send([world.county_assessor_a], url="//evil.example/")
    html = login(world.county_assessor_a).get(reverse("notification-list")).content.decode()
    assert "evil.example" not in html


def test_marking_read_by_post_and_another_persons_notification_is_404(world, login):
    me = world.county_assessor_a
    mine, *_rest = three_for(me, world.admin_a)
    theirs = Notification.objects.get(recipient=world.admin_a)
    client = login(me)
    url = reverse("notification-read", args=[mine.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"page": "2"})
    assert response.status_code == 302 and response.url == reverse("notification-list") + "?page=2"
    assert client.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_mark_all_read_by_post(world, login):
    me = world.county_assessor_a
    three_for(me, world.admin_a)
    response = login(me).post(reverse("notification-read-all"), follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert selectors.unread_count(me) == 0 and selectors.unread_count(world.admin_a) == 1


def test_email_settings_turn_kinds_off_and_on(world, login):
    me = world.secretary_a1
    client = login(me)
    page = client.get(reverse("notification-settings"))
    assert all(on for _kind, _label, on in page.context["choices"])
    assert "还没有登记电子邮箱" in page.content.decode()
    kept = [NotificationKind.RESULTS_PUBLISHED, NotificationKind.APPEAL_DECIDED]
    response = client.post(reverse("notification-settings"), {"email": [*kept, "bogus"]})
    assert response.status_code == 302
    off = set(
        NotificationPreference.objects.filter(user=me, email=False).values_list("kind", flat=True)
    )
    assert off == set(NotificationKind.values) - set(kept)
    choices = client.get(reverse("notification-settings")).context["choices"]
    assert {kind for kind, _label, on in choices if on} == set(kept)


# --- reminders ---------------------------------------------------------------------------


@pytest.fixture
def sources(monkeypatch):
    registered = []
    monkeypatch.setattr(reminders, "_SOURCES", registered)
    return registered


def test_the_reminder_job_stores_each_reminder_once(world, sources):
    def closing(today):
        return [
            Notice(
                world.town_assessor_a,
                NotificationKind.SELF_EVALUATION_CLOSING,
                "自评将于 3 天后截止",
                "/cycles/",
                scope_path=world.community_a1.path,
                key=f"cycle:1:{today.isoformat()}",
            )
        ]

    reminders.register_reminder_source(closing)
    reminders.register_reminder_source(closing)
    assert tasks.send_reminders.delay().get() == 1
    assert tasks.send_reminders.delay().get() == 0
    assert Notification.objects.filter(kind=NotificationKind.SELF_EVALUATION_CLOSING).count() == 1


def test_a_failing_reminder_source_does_not_stop_the_others(world, sources):
    def broken(today):
        raise RuntimeError("source down")

    def working(today):
        return [Notice(world.admin_a, NotificationKind.SUMMONS, "约谈提醒", key="x")]

    reminders.register_reminder_source(broken)
    reminders.register_reminder_source(working)
    assert tasks.send_reminders() == 1


def test_a_fresh_database_schedules_the_daily_reminders():
    """Made by a data migration, so `migrate` alone sets it up; editable in the admin."""
    task = PeriodicTask.objects.select_related("crontab").get(name=tasks.REMINDER_TASK_NAME)
    assert task.task == "org.notifications.tasks.send_reminders" and task.enabled
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == (
        "0",
        "8",
        "Asia/Shanghai",
    )
    assert task.task in app.tasks

"""Audit trail (SPEC §2): who, when, before, after; append-only; visible to admins and
observers within their scope."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from config.urls import router
from evidence.attachments.services import store_files
from org import audit, services
from org.models import OrgUnit
from scoring.results import services as overrides
from tests.factories import TEST_PASSWORD, complete_scoring, logs_in, open_seed_cycle
from tests.platform.test_scope_matrix import walk

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def test_a_change_records_who_when_before_and_after(world):
    services.update_org_unit(actor=world.admin_a, unit=world.town_a, version=1, name="城关街道")
    latest = world.town_a.history.first()
    assert latest.history_user == world.admin_a
    assert latest.history_type == "~"
    assert latest.scope_path == "/QA/QA1/"
    delta = latest.diff_against(latest.prev_record)
    [change] = [c for c in delta.changes if c.field == "name"]
    assert (change.old, change.new) == ("城关镇", "城关街道")


def test_the_audit_page_shows_a_readable_diff(world, login):
    services.update_org_unit(actor=world.admin_a, unit=world.town_a, version=1, name="城关街道")
    response = login(world.admin_a).get(reverse("audit-log"), {"object_type": "org.orgunit"})
    entry = response.context["entries"][0]
    assert (entry.action_label, entry.type_label, str(entry.actor)) == (
        "修改",
        "组织单位",
        "管理员甲",
    )
    assert [(c.field, c.before, c.after) for c in entry.changes] == [("名称", "城关镇", "城关街道")]
    text = response.content.decode()
    assert "城关镇" in text and "城关街道" in text


def test_foreign_keys_and_choices_read_as_names(world, login):
    services.grant_membership(
        actor=world.admin_a, user=world.outsider_b, role="observer", org_unit=world.town_a
    )
    response = login(world.admin_a).get(reverse("audit-log"), {"object_type": "org.membership"})
    entry = response.context["entries"][0]
    after = {c.field: str(c.after) for c in entry.changes}
    assert after["角色"] == "纪检监督"
    assert after["所属单位"] == "城关镇（QA1）"
    assert after["用户"] == "东湖考核员"
    assert str(entry.object_repr) == "东湖考核员 · 纪检监督 · 城关镇（QA1）"


def test_logging_in_writes_no_audit_record(world, client):
    before = world.admin_a.history.count()
    assert logs_in(client, "admin_a", TEST_PASSWORD)
    world.admin_a.refresh_from_db()
    assert world.admin_a.last_login is not None
    assert world.admin_a.history.count() == before


def test_a_deletion_shows_what_was_deleted(world, login):
    services.delete_org_unit(actor=world.admin_a, unit=world.grid_a1, version=1)
    response = login(world.admin_a).get(reverse("audit-log"))
    entry = response.context["entries"][0]
    assert entry.action == "-"
    assert ("名称", "城东一网格") in [(c.field, c.before) for c in entry.changes]


def test_filters_by_user_type_and_date_range(world, login):
    services.update_org_unit(actor=world.admin_a, unit=world.town_a, version=1, name="改名一")
    client = login(world.admin_a)
    for actor in ("admin_a", "管理员甲"):
        by_actor = client.get(reverse("audit-log"), {"actor": actor}).context["entries"]
        assert [e.object_repr for e in by_actor] == ["改名一（QA1）"]
    today = timezone.localdate()
    in_range = client.get(
        reverse("audit-log"), {"date_from": today.isoformat(), "date_to": today.isoformat()}
    ).context["page_obj"]
    assert in_range.paginator.count > 10
    tomorrow = (today + timedelta(days=1)).isoformat()
    later = client.get(reverse("audit-log"), {"date_from": tomorrow}).context["page_obj"]
    assert later.paginator.count == 0
    backwards = client.get(
        reverse("audit-log"), {"date_from": tomorrow, "date_to": today.isoformat()}
    )
    assert "截止日期不能早于起始日期" in backwards.content.decode()


def test_an_observer_reads_the_trail_of_their_scope_only(world, login):
    services.update_org_unit(actor=world.admin_a, unit=world.town_b, version=1, name="东湖新区")
    services.update_org_unit(
        actor=world.admin_a, unit=world.community_a1, version=1, name="城东新社区"
    )
    response = login(world.observer_a).get(reverse("audit-log"))
    reprs = [str(e.object_repr) for e in response.context["entries"]]
    assert "城东新社区（QA101）" in reprs
    assert not [r for r in reprs if "东湖" in r or "外县" in r or "青山县" in r]


@pytest.mark.parametrize("persona", ["county_assessor_a", "town_assessor_a", "secretary_a1"])
def test_the_audit_page_is_for_admins_and_observers(world, login, persona):
    assert login(world.persona(persona)).get(reverse("audit-log")).status_code == 403


def test_the_audit_page_costs_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    for i in range(10):
        services.update_org_unit(
            actor=world.admin_a, unit=world.town_a, version=i + 1, name=f"名称{i}"
        )
    client = login(world.admin_a)
    # session, user, scope, actor choices, count, page, per type on the page: snapshots,
    # predecessors and related names; session save and the request's savepoints.
    with django_assert_max_num_queries(24):
        client.get(reverse("audit-log"))


def test_no_route_deletes_or_edits_history():
    names = [name for name, _kwargs, _view in walk() if not name.startswith("admin:")]
    assert not [n for n in names if "history" in n]
    assert not [prefix for prefix, *_ in router.registry if "history" in prefix]
    registered = {m._meta.label for m in admin.site._registry}
    assert not {m._meta.label for m in audit.audited_history_models()} & registered


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)
def test_the_database_refuses_to_change_or_delete_a_snapshot(world):
    history = world.town_a.history.model
    with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic():
        history.objects.filter(code="QA1").update(name="篡改")
    with pytest.raises(DatabaseError, match="审计记录只能追加"), transaction.atomic():
        history.objects.filter(code="QA1").delete()
    assert history.objects.filter(code="QA1", name="城关镇").exists()


def test_every_history_table_has_its_predecessor_index():
    """`hydrate` finds a snapshot's predecessor by (object id, history id): without this
    index PostgreSQL read the whole table for every first snapshot (the home page's recent
    changes took half a second at county size)."""
    with connection.cursor() as cursor:
        for history_model in audit.audited_history_models():
            table = history_model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            found = constraints.get(audit.predecessor_index(table))
            column = history_model._meta.get_field(
                history_model.instance_type._meta.pk.attname
            ).column
            assert found and found["index"], table
            assert found["columns"] == [column, "history_id"], table


def test_several_changes_of_one_object_on_one_page_each_show_their_own_before(world, login):
    for name in ("一", "二", "三"):
        unit = OrgUnit.objects.get(pk=world.town_a.pk)
        services.update_org_unit(actor=world.admin_a, unit=unit, version=unit.version, name=name)
    entries = (
        login(world.admin_a)
        .get(reverse("audit-log"), {"object_type": "org.orgunit"})
        .context["entries"]
    )
    pairs = [(c.before, c.after) for e in entries[:3] for c in e.changes if c.field == "名称"]
    assert pairs == [("二", "三"), ("一", "二"), ("城关镇", "一")]


def test_a_move_is_audited_where_both_the_old_and_new_town_see_it(world, login):
    services.update_org_unit(
        actor=world.admin_a, unit=world.community_a2, version=1, parent=world.town_b
    )
    latest = world.community_a2.history.first()
    assert latest.scope_path == "/QA/"
    county_view = login(world.admin_a).get(reverse("audit-log")).context["entries"][0]
    assert [(c.field, str(c.before), str(c.after)) for c in county_view.changes] == [
        ("上级单位", "城关镇（QA1）", "东湖街道（QA2）")
    ]


def test_entries_read_in_words_no_field_names_paths_or_checksums(world, login):
    """Issue 14: an override shows the grade before and after; a relation left without a
    verbose name reads as its model's name (not "participant"); a file reads by its
    name — no storage path, MIME type or SHA-256."""
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    overrides.override_grade(
        actor=world.county_assessor_a,
        participant=a1,
        grade="优秀",
        reason="防汛表现突出",
        version=None,
    )
    store_files(
        actor=world.secretary_a1,
        uploads=[SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")],
        participant=a1,
    )
    client = login(world.admin_a)
    [override] = client.get(reverse("audit-log"), {"object_type": "scoring.gradeoverride"}).context[
        "entries"
    ]
    assert override.reason.startswith("等次：") and override.reason.endswith("→ 优秀")
    labels = [c.field for c in override.changes]
    assert "participant" not in labels and "参评书记" in labels
    [upload] = client.get(reverse("audit-log"), {"object_type": "evidence.attachment"}).context[
        "entries"
    ]
    shown = {c.field: str(c.after) for c in upload.changes}
    assert shown["文件名"] == "会议记录.pdf"
    assert not {"文件", "文件类型", "SHA-256"} & set(shown)
    html = client.get(reverse("audit-log")).content.decode()
    assert "application/pdf" not in html and "evidence/" not in html

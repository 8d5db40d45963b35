"""The assessors' score grid and 关键事件 (issue 5): scope, autosave through the score
service (SPEC §3.2), inline refusals, optimistic locking, read-only reasons, counters,
and a page that loads in a fixed number of queries."""

import re
from datetime import date, timedelta
from decimal import Decimal as D
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Cycle
from org.scope import Role
from scoring import incidents
from scoring.models import CriticalIncident, ScoreEntry, Source
from scoring.services import compute_cycle, enter_score
from tests.conftest import person
from tests.factories import SecretaryFactory, complete_scoring, fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def leaf(cycle, name):
    return cycle.frozen_template.nodes.get(name=name)


def participant(world, cycle, key="a1"):
    return cycle.participants.get(secretary=world.secretaries[key])


def grid_url(cycle, **params):
    url = reverse("score-grid", args=[cycle.pk])
    return f"{url}?{urlencode(params)}" if params else url


# Dimension 2 (社区治理与民生服务): 违建管控 scored directly, 惠民政策落实 and 特殊群体帮扶
# with anchors, three automatic leaves.
def governance(cycle):
    return cycle.frozen_template.nodes.get(name="社区治理与民生服务")


def post_cell(client, who, node, source=Source.TARGET, **data):
    return client.post(
        reverse("score-cell", args=[who.pk]), {"leaf": node.pk, "source": source, **data}
    )


def to_scoring(cycle):
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


def text_of(response):
    return response.content.decode()


# ------------------------------------------------------------------------ scope


def test_a_town_assessor_sees_only_the_rows_of_their_town(world, cycle, login):
    client = login(world.town_assessor_a)
    page = text_of(client.get(grid_url(cycle, dimension=governance(cycle).pk)))
    assert "甲书记" in page and "乙书记" in page
    assert "丙书记" not in page and "东湖社区" not in page
    page = text_of(login(world.county_assessor_a).get(grid_url(cycle)))
    assert all(name in page for name in ("甲书记", "乙书记", "丙书记"))


def test_a_participant_outside_scope_answers_404_and_nothing_changes(world, cycle, login):
    client = login(world.town_assessor_a)
    foreign = participant(world, cycle, "b1")
    node = leaf(cycle, "违建管控")
    assert post_cell(client, foreign, node, value="2").status_code == 404
    assert client.get(reverse("incident-list", args=[foreign.pk])).status_code == 404
    response = client.post(reverse("incident-list", args=[foreign.pk]), {"text": "越界"})
    assert response.status_code == 404
    assert not ScoreEntry.objects.exists()
    assert not CriticalIncident.objects.exists()


def test_secretaries_never_open_the_grid(world, cycle, login):
    assert login(world.secretary_a1).get(grid_url(cycle)).status_code == 403


# ---------------------------------------------------------------------- autosave


def test_saving_a_cell_creates_the_raters_entry_then_updates_it(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    response = post_cell(client, me, node, value="2.5")
    assert response.status_code == 200
    entry = ScoreEntry.objects.get(participant=me, leaf=node, source=Source.TARGET)
    assert (entry.value, entry.version, entry.rater) == (D("2.5"), 1, world.county_assessor_a)
    page = text_of(response)
    assert 'name="version" value="1"' in page
    # Out of band: the row's counter and subtotal, the column's counter.
    assert re.search(rf'id="done-{me.pk}"[^>]*hx-swap-oob="true">1/3<', page)
    assert re.search(rf'id="subtotal-{me.pk}"[^>]*>2.50<', page)
    assert re.search(rf'id="col-{node.pk}"[^>]*>已评 1/3<', page)
    response = post_cell(client, me, node, value="3", version="1")
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.value, entry.version) == (D(3), 2)


def test_an_anchored_leaf_saves_the_chosen_level(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "惠民政策落实")
    good = node.bars_levels.get(label="较好")
    assert post_cell(client, me, node, level=str(good.pk)).status_code == 200
    entry = ScoreEntry.objects.get(participant=me, leaf=node)
    assert (entry.level, entry.value) == (good, good.value)


def test_full_width_digits_typed_in_a_chinese_input_method_are_read(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    assert post_cell(client, me, node, value="２．５").status_code == 200
    assert ScoreEntry.objects.get(participant=me, leaf=node).value == D("2.5")


def test_an_invalid_value_shows_the_message_at_the_cell_and_saves_nothing(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    before = Cycle.objects.get(pk=cycle.pk).inputs_version
    for typed, message in [
        ("999", "指标 2.2“违建管控” 的分数应在 0 到 3 之间。"),
        ("abc", "指标 2.2“违建管控”的分数应是数字"),
        ("1.255", "分数最多保留两位小数。"),
        ("", "请填写分数"),
    ]:
        response = post_cell(client, me, node, value=typed)
        assert response.status_code == 200
        page = text_of(response)
        assert message in page
        assert f'value="{typed}"' in page  # what was typed stays, marked invalid
        assert "is-invalid" in page
    assert not ScoreEntry.objects.exists()
    assert Cycle.objects.get(pk=cycle.pk).inputs_version == before


def test_a_stale_version_shows_the_other_persons_value_and_the_fresh_version(world, cycle, login):
    """DESIGN §4: browser forms carry the version and show "已被他人修改" with the other
    person's values."""
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    assert post_cell(client, me, node, value="1").status_code == 200
    # Meanwhile the same account changes it in another window.
    enter_score(
        actor=world.county_assessor_a,
        participant=me,
        leaf=node,
        source=Source.TARGET,
        value="2",
        version=1,
    )
    response = post_cell(client, me, node, value="3", version="1")
    assert response.status_code == 200
    page = text_of(response)
    assert "已被他人修改为 2，请确认后重新输入" in page
    assert "您刚才输入的“3”未保存" in page
    assert 'name="version" value="2"' in page
    assert ScoreEntry.objects.get(participant=me, leaf=node).value == D(2)


def test_an_entry_made_elsewhere_since_the_page_loaded_is_a_conflict_too(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    enter_score(
        actor=world.county_assessor_a, participant=me, leaf=node, source=Source.TARGET, value="2"
    )
    response = post_cell(client, me, node, value="3", version="")
    assert response.status_code == 200
    assert "已被他人修改为 2" in text_of(response)


def test_a_target_value_on_an_automatic_leaf_is_shown_computed_and_refused(world, cycle, login):
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "信访维稳")
    page = text_of(client.get(grid_url(cycle, source="target", dimension=governance(cycle).pk)))
    assert f'id="v-{me.pk}-{node.pk}"' not in page  # no input: the system computes it
    assert f'id="v-{me.pk}-{leaf(cycle, "违建管控").pk}"' in page
    response = post_cell(client, me, node, value="5")
    assert response.status_code == 200
    assert "由系统按数据计算，不能手工录入目标量评" in text_of(response)
    assert not ScoreEntry.objects.exists()


def test_an_org_override_of_an_automatic_leaf_needs_a_note(world, cycle, login):
    """SPEC §3.2: automatic leaves use the computed value unless an org rater entered an
    override, which needs a note."""
    cycle = to_scoring(cycle)
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "信访维稳")
    page = text_of(client.get(grid_url(cycle, source="org", dimension=governance(cycle).pk)))
    assert f'id="n-{me.pk}-{node.pk}"' in page  # the cell carries its note input
    response = post_cell(client, me, node, Source.ORG, value="4", note=" ")
    assert response.status_code == 200
    assert "是自动计分指标，组织考评改分必须写明理由" in text_of(response)
    assert not ScoreEntry.objects.exists()
    response = post_cell(client, me, node, Source.ORG, value="4", note="一件信访经复核已化解")
    assert response.status_code == 200
    entry = ScoreEntry.objects.get(participant=me, leaf=node, source=Source.ORG)
    assert (entry.value, entry.note) == (D(4), "一件信访经复核已化解")
    assert "已改分" in text_of(response)


def test_a_cell_that_posts_no_note_keeps_the_note_already_on_the_entry(world, cycle, login):
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    enter_score(
        actor=world.county_assessor_a,
        participant=me,
        leaf=node,
        source=Source.TARGET,
        value="2",
        note="导入时的备注",
    )
    client = login(world.county_assessor_a)
    assert post_cell(client, me, node, value="3", version="1").status_code == 200
    assert ScoreEntry.objects.get(participant=me, leaf=node).note == "导入时的备注"


def test_emptying_a_cell_takes_the_value_back(world, cycle, login):
    """An emptied cell withdraws the rater's own entry (audited; results go stale); an
    override withdrawn leaves the computed value in force (SPEC §3.2)."""
    client = login(world.county_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    post_cell(client, me, node, value="2.5")
    before = Cycle.objects.get(pk=cycle.pk).inputs_version
    response = post_cell(client, me, node, value="", version="7")
    assert "已被他人修改为 2.5" in text_of(response)
    assert ScoreEntry.objects.filter(participant=me, leaf=node).exists()
    response = post_cell(client, me, node, value=" ", version="1")
    assert response.status_code == 200
    assert not ScoreEntry.objects.filter(participant=me, leaf=node).exists()
    assert ScoreEntry.history.filter(history_type="-").get().history_user == (
        world.county_assessor_a
    )
    assert Cycle.objects.get(pk=cycle.pk).inputs_version == before + 1
    assert re.search(rf'id="done-{me.pk}"[^>]*hx-swap-oob="true">0/3<', text_of(response))
    # Emptying a cell that holds nothing still asks for a value.
    assert "请填写分数" in text_of(post_cell(client, me, node, value=""))


# ---------------------------------------------------------------- read-only


def test_an_observer_reads_the_grid_with_a_banner_and_cannot_post(world, cycle, login):
    client = login(world.observer_a)
    page = text_of(client.get(grid_url(cycle, dimension=governance(cycle).pk)))
    assert 'data-testid="read-only-banner"' in page
    assert "您的角色只能查看评分表，不能录入分数。" in page
    assert "data-cell" not in page
    response = post_cell(client, participant(world, cycle), leaf(cycle, "违建管控"), value="2")
    assert response.status_code == 403
    assert not ScoreEntry.objects.exists()


def test_a_town_assessor_cannot_enter_target_scores_when_the_county_scores_directly(
    world, cycle, login
):
    client = login(world.town_assessor_a)
    page = text_of(client.get(grid_url(cycle, dimension=governance(cycle).pk)))
    assert "提级考核" in page and "data-cell" not in page
    response = post_cell(client, participant(world, cycle), leaf(cycle, "违建管控"), value="2")
    assert response.status_code == 403
    assert "您不能为 甲书记 录入目标量评" in text_of(response)
    assert not ScoreEntry.objects.exists()


def test_town_assessors_enter_target_scores_when_the_cycle_lets_towns(world, cycle, login):
    cycle = cycles.update_cycle(actor=None, cycle=cycle, version=cycle.version, target_entry="town")
    client = login(world.town_assessor_a)
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    page = text_of(client.get(grid_url(cycle, dimension=governance(cycle).pk)))
    assert f'id="v-{me.pk}-{node.pk}"' in page
    assert post_cell(client, me, node, value="2").status_code == 200
    # The county reads them now.
    page = text_of(login(world.county_assessor_a).get(grid_url(cycle, source="target")))
    assert "镇街考核员录入" in page


def test_org_scores_wait_for_the_scoring_window(world, cycle, login):
    client = login(world.county_assessor_a)
    page = text_of(client.get(grid_url(cycle, source="org")))
    assert "当前状态为“进行中”，组织考评在“评分中”阶段录入，现在只能查看。" in page
    response = post_cell(
        client, participant(world, cycle), leaf(cycle, "违建管控"), Source.ORG, value="2"
    )
    assert "当前状态为“进行中”，不能录入组织考评。" in text_of(response)
    assert not ScoreEntry.objects.exists()


def test_a_published_cycle_shows_a_read_only_grid(world, cycle, login):
    cycle = to_scoring(cycle)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    for name in ("start_review", "publish"):
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    client = login(world.county_assessor_a)
    page = text_of(client.get(grid_url(cycle, source="org")))
    assert "已发布，评分表只读" in page and "data-cell" not in page
    response = post_cell(
        client, participant(world, cycle), leaf(cycle, "违建管控"), Source.ORG, value="1"
    )
    assert "已发布，不能再修改" in text_of(response)


def test_a_draft_cycle_has_no_grid_yet(world, login):
    draft = cycles.create_cycle(actor=None, county=world.county_a, name="草稿", year=2027)
    page = text_of(login(world.county_assessor_a).get(grid_url(draft)))
    assert "冻结指标体系后才能评分" in page


def test_the_cycle_page_links_to_the_grid_for_staff_only(world, cycle, login):
    url = reverse("cycle-detail", args=[cycle.pk])
    assert "目标量评评分表" in text_of(login(world.county_assessor_a).get(url))
    assert "查看评分表" in text_of(login(world.observer_a).get(url))
    assert "评分表" not in text_of(login(world.secretary_a1).get(url))


# --------------------------------------------------------------------- counters


def test_counters_follow_the_raters_own_entries_and_the_others_are_summarised(world, cycle, login):
    a1, a2 = participant(world, cycle, "a1"), participant(world, cycle, "a2")
    direct, anchored = leaf(cycle, "违建管控"), leaf(cycle, "惠民政策落实")
    me = world.county_assessor_a
    colleague = person(Role.COUNTY_ASSESSOR, world.county_a, "county_a2", "县考核员乙")
    level = anchored.bars_levels.get(label="好")
    for who, node, kwargs in [
        (a1, direct, {"value": "2"}),
        (a1, anchored, {"level": level}),
        (a2, direct, {"value": "1"}),
    ]:
        enter_score(actor=me, participant=who, leaf=node, source=Source.TARGET, **kwargs)
    enter_score(actor=colleague, participant=a1, leaf=direct, source=Source.TARGET, value="3")
    b1 = participant(world, cycle, "b1")
    enter_score(actor=colleague, participant=b1, leaf=direct, source=Source.TARGET, value="3")
    page = text_of(login(me).get(grid_url(cycle, dimension=governance(cycle).pk)))
    assert re.search(rf'id="done-{a1.pk}"[^>]*>2/3<', page)
    assert re.search(rf'id="done-{a2.pk}"[^>]*>1/3<', page)
    assert re.search(rf'id="col-{direct.pk}"[^>]*>已评 2/3<', page)
    assert re.search(rf'id="col-{anchored.pk}"[^>]*>已评 1/3<', page)
    # Per dimension (3 participants × 3 rating leaves) and the whole cycle.
    assert re.search(rf'id="dim-{governance(cycle).pk}"[^>]*>3/9<', page)
    rating_leaves = cycle.frozen_template.nodes.filter(method="rating").count()
    assert f"本周期目标量评：我已评 3/{3 * rating_leaves} 项" in page
    assert re.search(rf'id="subtotal-{a1.pk}"[^>]*>5.00<', page)  # 2 + 好 (3)
    assert "另 1 人 · 均 3" in page
    # Someone who does not enter the source counts everyone's values.
    url = grid_url(cycle, source="target", dimension=governance(cycle).pk)
    page = text_of(login(world.admin_a).get(url))
    assert re.search(rf'id="col-{direct.pk}"[^>]*>已评 3/3<', page)
    stale = {n: re.search(rf'id="col-{n}"[^>]*>([^<]*)<', page)[1] for n in counted(cycle)}
    # Current results say the same from their rows (each names its gaps).
    compute_cycle(cycle.pk)
    page = text_of(login(world.admin_a).get(url))
    assert {n: re.search(rf'id="col-{n}"[^>]*>([^<]*)<', page)[1] for n in counted(cycle)} == stale
    assert re.search(rf'id="col-{anchored.pk}"[^>]*>已评 1/3<', page)


def counted(cycle):
    """The leaves of the governance dimension (rating and automatic)."""
    return list(governance(cycle).children.values_list("pk", flat=True))


def test_the_town_filter_narrows_rows_and_counters(world, cycle, login):
    client = login(world.county_assessor_a)
    page = text_of(client.get(grid_url(cycle, town=world.town_b.pk)))
    assert "丙书记" in page and "甲书记" not in page
    assert "共 1 人" in page


def test_the_cell_hint_shows_the_self_evaluation_and_the_secretarys_note(world, cycle, login):
    me, node = participant(world, cycle), leaf(cycle, "违建管控")
    enter_score(
        actor=world.secretary_a1,
        participant=me,
        leaf=node,
        source=Source.SELF,
        value="3",
        note="全年无新增违建",
    )
    page = text_of(
        login(world.county_assessor_a).get(grid_url(cycle, dimension=governance(cycle).pk))
    )
    assert "自评：3（草稿，未提交）；书记说明：全年无新增违建" in page


def test_the_grid_loads_in_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    """DESIGN §7: the count does not grow with participants, entries or incidents."""
    me = world.county_assessor_a
    client = login(me)
    url = grid_url(cycle, dimension=governance(cycle).pk)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    direct = leaf(cycle, "违建管控")
    for n in range(12):
        community = world.community_a1 if n % 2 else world.community_b1
        secretary = SecretaryFactory(community=community, name=f"新书记{n}")
        one = cycles.enrol_secretary(actor=None, cycle=cycle, secretary=secretary)
        enter_score(actor=me, participant=one, leaf=direct, source=Source.TARGET, value="1")
        incidents.add_incident(actor=me, participant=one, text="记录")
    with django_assert_max_num_queries(len(few)):
        page = text_of(client.get(url))
    assert "新书记11" in page
    assert len(few) <= 25  # the whole page, session and navigation included


def test_a_cells_autosave_answers_in_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    """DESIGN §7: saving a cell and answering it with the row's and columns' counters
    reads as much for 2 participants as for 14 (and the scoped participant the view read
    is the row's: not read a third time)."""
    me = world.county_assessor_a
    client = login(me)
    direct = leaf(cycle, "违建管控")
    first = participant(world, cycle)
    enter_score(actor=me, participant=first, leaf=direct, source=Source.TARGET, value="1")
    client.get(grid_url(cycle))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert post_cell(client, first, direct, value="2", version="1").status_code == 200
    others = []
    for n in range(12):
        community = world.community_a1 if n % 2 else world.community_b1
        secretary = SecretaryFactory(community=community, name=f"新书记{n}")
        others.append(cycles.enrol_secretary(actor=None, cycle=cycle, secretary=secretary))
        enter_score(actor=me, participant=others[-1], leaf=direct, source=Source.TARGET, value="1")
    with django_assert_max_num_queries(len(few)):
        assert post_cell(client, others[0], direct, value="2", version="1").status_code == 200
    assert len(few) <= 40  # session, scope, the save with its audit row, the answer


# -------------------------------------------------------------------- 关键事件


def test_assessors_record_critical_incidents_in_the_side_panel(world, cycle, login):
    client = login(world.town_assessor_a)
    me = participant(world, cycle)
    url = reverse("incident-list", args=[me.pk])
    assert "还没有记录关键事件" in text_of(client.get(url))
    response = client.post(url, {"occurred_on": "2026-03-15", "text": "化解加装电梯矛盾"})
    assert response.status_code == 200
    page = text_of(response)
    assert "2026-03-15" in page and "化解加装电梯矛盾" in page and "镇考核员甲" in page
    assert re.search(rf'id="inc-{me.pk}"[^>]*hx-swap-oob="true">1<', page)
    incident = CriticalIncident.objects.get()
    assert (incident.author, incident.occurred_on) == (world.town_assessor_a, date(2026, 3, 15))
    assert incident.history.get().history_user == world.town_assessor_a
    grid_page = text_of(login(world.county_assessor_a).get(grid_url(cycle)))
    assert re.search(rf'id="inc-{me.pk}"[^>]*>1<', grid_page)


def test_a_critical_incident_needs_its_text_and_a_date_not_in_the_future(world, cycle, login):
    client = login(world.county_assessor_a)
    url = reverse("incident-list", args=[participant(world, cycle).pk])
    response = client.post(url, {"occurred_on": "", "text": "  "})
    assert response.status_code == 200 and "请填写事件经过。" in text_of(response)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(url, {"occurred_on": tomorrow, "text": "预先记录"})
    assert response.status_code == 200 and "晚于今天" in text_of(response)
    response = client.post(url, {"occurred_on": "2026-13-01", "text": "日期写错"})
    assert response.status_code == 200 and "发生日期的格式" in text_of(response)
    assert not CriticalIncident.objects.exists()


def test_observers_read_critical_incidents_but_do_not_record_them(world, cycle, login):
    me = participant(world, cycle)
    incidents.add_incident(actor=world.county_assessor_a, participant=me, text="协调物业纠纷")
    client = login(world.observer_a)
    page = text_of(client.get(reverse("incident-list", args=[me.pk])))
    assert "协调物业纠纷" in page and "incident-form" not in page
    response = client.post(reverse("incident-list", args=[me.pk]), {"text": "不应保存"})
    assert response.status_code == 403
    assert CriticalIncident.objects.count() == 1


def test_only_the_author_or_a_county_admin_deletes_a_critical_incident(world, cycle, login):
    me = participant(world, cycle)
    incident = incidents.add_incident(actor=world.town_assessor_a, participant=me, text="甲")
    url = reverse("incident-delete", args=[me.pk])
    client = login(world.county_assessor_a)
    assert 'data-testid="incident-delete"' not in text_of(
        client.get(reverse("incident-list", args=[me.pk]))
    )
    assert client.post(url, {"incident": incident.pk}).status_code == 403
    with pytest.raises(PermissionDenied):
        incidents.delete_incident(actor=world.county_assessor_a, incident=incident)
    response = login(world.admin_a).post(url, {"incident": incident.pk})
    assert response.status_code == 200
    assert not CriticalIncident.objects.exists()
    assert incident.history.latest().history_type == "-"
    assert incident.history.latest().history_user == world.admin_a
    mine = incidents.add_incident(actor=world.town_assessor_a, participant=me, text="乙")
    assert login(world.town_assessor_a).post(url, {"incident": mine.pk}).status_code == 200
    assert not CriticalIncident.objects.exists()


def test_an_incident_of_another_participant_cannot_be_deleted_through_this_one(world, cycle, login):
    a1, a2 = participant(world, cycle, "a1"), participant(world, cycle, "a2")
    other = incidents.add_incident(actor=world.admin_a, participant=a2, text="乙社区")
    client = login(world.admin_a)
    response = client.post(reverse("incident-delete", args=[a1.pk]), {"incident": other.pk})
    assert response.status_code == 404
    response = client.post(reverse("incident-delete", args=[a1.pk]), {"incident": "x"})
    assert response.status_code == 404
    assert CriticalIncident.objects.count() == 1

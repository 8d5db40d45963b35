"""The cycle pages (考核周期, SPEC §2, §3): list, create, detail with the lifecycle and the
participants, settings; every write goes through `assessment.services` and its refusals
are shown in Chinese."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from assessment import views as cycle_views
from assessment.models import Cycle, CycleStatus, CycleTransition, Participant
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from org.models import OrgUnitKind, User
from tests.factories import OrgUnitFactory, SecretaryFactory, complete_scoring

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")

MANAGER = "county_assessor_a"


@pytest.fixture
def template(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


@pytest.fixture
def cycle(world, template):
    return cycles.create_cycle(
        actor=None, county=world.county_a, name="2026年度社区书记考核", year=2026, template=template
    )


def walk_to(cycle, *names):
    for name in names:
        if name == "start_review":
            cycle = complete_scoring(cycle, User.objects.filter(is_superuser=False).first())
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    return cycle


def detail(cycle):
    return reverse("cycle-detail", args=[cycle.pk])


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def settings_data(client, cycle, **changes):
    """The settings form as the page fills it, with `changes` typed over it."""
    form = client.get(reverse("cycle-settings", args=[cycle.pk])).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = "" if value is None else str(value)
        if field.disabled:
            del data[name]
    data.update({name: str(value) for name, value in changes.items()})
    return data


def test_the_navigation_leads_to_the_cycles_right_after_home(world, login):
    items = login(world.secretary_a1).get(reverse("home")).context["nav_items"]
    assert [str(item["label"]) for item in items][:2] == ["首页", "考核周期"]


def test_a_county_assessor_creates_a_cycle_in_the_browser(world, login, template):
    client = login(world.county_assessor_a)
    listing = client.get(reverse("cycle-list")).content.decode()
    assert reverse("cycle-create") in listing
    page = client.get(reverse("cycle-create"))
    year = timezone.localdate().year
    assert page.context["form"].initial["name"] == f"{year}年度社区书记考核"
    assert page.context["form"].initial["county"] == world.county_a
    response = client.post(
        reverse("cycle-create"),
        {
            "county": world.county_a.pk,
            "name": "2026年度社区书记考核",
            "year": 2026,
            "template": template.pk,
        },
    )
    made = Cycle.objects.get(name="2026年度社区书记考核")
    assert response.status_code == 302 and response.url == detail(made)
    assert (made.county, made.year, made.template, made.status) == (
        world.county_a,
        2026,
        template,
        CycleStatus.DRAFT,
    )
    assert made.quarters.count() == 4
    assert "已新建考核周期“2026年度社区书记考核”。" in flashed(response)


def test_the_create_form_offers_only_the_counties_and_templates_in_reach(world, login, template):
    foreign = install_starter_templates(actor=None, county=world.county_b)[0]
    client = login(world.county_assessor_a)
    form = client.get(reverse("cycle-create")).context["form"]
    assert list(form.fields["county"].queryset) == [world.county_a]
    assert foreign not in form.fields["template"].queryset
    response = client.post(
        reverse("cycle-create"),
        {"county": world.county_b.pk, "name": "外县考核", "year": 2026, "template": foreign.pk},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"county", "template"}
    assert not Cycle.objects.exists()


def test_readers_see_no_create_button(world, login):
    listing = login(world.town_assessor_a).get(reverse("cycle-list")).content.decode()
    assert reverse("cycle-create") not in listing


@pytest.mark.parametrize("persona", ["town_assessor_a", "observer_a", "secretary_a1"])
def test_roles_that_do_not_run_cycles_get_403_on_every_write(world, login, cycle, persona):
    cycles.enrol_county(actor=None, cycle=cycle)
    participant = cycle.participants.first()
    client = login(world.persona(persona))
    assert client.get(reverse("cycle-create")).status_code == 403
    assert client.post(reverse("cycle-create"), {"name": "x"}).status_code == 403
    assert client.get(reverse("cycle-settings", args=[cycle.pk])).status_code == 403
    posts = [
        (reverse("cycle-settings", args=[cycle.pk]), {"name": "改", "version": 1}),
        (
            reverse("cycle-transition", args=[cycle.pk]),
            {"name": "open", "version": 1, "confirmed": "1"},
        ),
        (reverse("cycle-enrol", args=[cycle.pk]), {}),
        (reverse("cycle-participant-add", args=[cycle.pk]), {}),
        (reverse("participant-grading", args=[participant.pk]), {"version": 1}),
        (reverse("participant-withdraw", args=[participant.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Cycle.objects.get(pk=cycle.pk).version == 1
    assert cycle.participants.count() == 3


def test_a_manager_of_another_county_gets_404(world, login, cycle):
    """The split person administers county QB and only observes town QA1: they read this
    cycle but run nothing in it."""
    client = login(world.split_person)
    assert client.get(detail(cycle)).status_code == 200
    assert client.get(reverse("cycle-settings", args=[cycle.pk])).status_code == 404
    assert client.post(reverse("cycle-enrol", args=[cycle.pk])).status_code == 404
    assert not cycle.participants.exists()


def test_a_town_assessor_sees_the_cycle_with_only_their_towns_participants(world, login, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    page = login(world.town_assessor_a).get(detail(cycle))
    assert page.status_code == 200
    names = {p.secretary.name for p in page.context["participants"]}
    assert names == {"甲书记", "乙书记"}
    text = page.content.decode()
    assert "丙书记" not in text and "东湖社区" not in text
    assert 'data-testid="transitions"' not in text
    assert 'data-testid="enrol-controls"' not in text
    assert reverse("participant-grading", args=[cycle.participants.first().pk]) not in text


def test_the_list_counts_only_the_participants_a_reader_reaches(world, login, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    listed = login(world.town_assessor_a).get(reverse("cycle-list")).context["object_list"]
    assert [(c.name, c.n_participants) for c in listed] == [("2026年度社区书记考核", 2)]


def test_the_list_searches_by_name(world, login, cycle):
    cycles.create_cycle(actor=None, county=world.county_a, name="2025年度社区书记考核", year=2025)
    client = login(world.county_assessor_a)
    names = [c.name for c in client.get(reverse("cycle-list")).context["object_list"]]
    assert names == ["2026年度社区书记考核", "2025年度社区书记考核"]
    found = client.get(reverse("cycle-list"), {"q": "2025"}).context["object_list"]
    assert [c.name for c in found] == ["2025年度社区书记考核"]


def test_the_other_countys_cycles_are_not_listed(world, login, cycle):
    cycles.create_cycle(actor=None, county=world.county_b, name="外县年度考核", year=2026)
    text = login(world.county_assessor_a).get(reverse("cycle-list")).content.decode()
    assert "2026年度社区书记考核" in text and "外县年度考核" not in text
    other = Cycle.objects.get(name="外县年度考核")
    assert login(world.county_assessor_a).get(detail(other)).status_code == 404


def test_enrolling_the_county_from_the_cycle_page(world, login, cycle):
    client = login(world.county_assessor_a)
    response = client.post(reverse("cycle-enrol", args=[cycle.pk]))
    assert response.status_code == 302 and response.url == detail(cycle)
    assert "已登记 3 人。" in flashed(response)
    page = client.get(detail(cycle))
    assert len(page.context["participants"]) == 3
    text = page.content.decode()
    assert "共 3 人，参加评定 3 人" in text
    assert 'data-testid="add-participant"' not in text  # nobody left to enrol


def test_enrolling_one_secretary_and_withdrawing_them(world, login, cycle):
    client = login(world.county_assessor_a)
    choices = client.get(detail(cycle)).context["add_form"].fields["secretary"].queryset
    assert {s.staff_no for s in choices} == {"SA1", "SA2", "SB1"}  # not county QB's
    secretary = world.secretaries["b1"]
    response = client.post(
        reverse("cycle-participant-add", args=[cycle.pk]), {"secretary": secretary.pk}
    )
    assert "已将 丙书记 登记为参评书记。" in flashed(response)
    participant = cycle.participants.get()
    assert participant.secretary == secretary
    foreign = world.secretaries["c1"]
    response = client.post(
        reverse("cycle-participant-add", args=[cycle.pk]), {"secretary": foreign.pk}
    )
    assert "所选书记不能登记到本周期。" in flashed(response)
    response = client.post(reverse("participant-withdraw", args=[participant.pk]))
    assert "已将 丙书记 移出参评名单。" in flashed(response)
    assert not cycle.participants.exists()


def test_not_grading_a_participant_needs_a_reason(world, login, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    participant = cycle.participants.get(secretary=world.secretaries["a1"])
    client = login(world.county_assessor_a)
    url = reverse("participant-grading", args=[participant.pk])
    response = client.post(url, {"version": 1, "reason": ""})
    assert response.url == detail(cycle)
    assert "不参加评定时请写明原因。" in flashed(response)
    assert Participant.objects.get(pk=participant.pk).is_graded is True
    response = client.post(url, {"version": 1, "reason": "病休"})
    assert "甲书记 不参加评定（病休）。" in flashed(response)
    participant.refresh_from_db()
    assert (participant.is_graded, participant.not_graded_reason, participant.version) == (
        False,
        "病休",
        2,
    )
    assert "（病休）" in client.get(detail(cycle)).content.decode()
    response = client.post(url, {"version": 1, "is_graded": "on"})
    assert "已被他人修改" in " ".join(flashed(response))
    client.post(url, {"version": 2, "is_graded": "on"})
    participant.refresh_from_db()
    assert (participant.is_graded, participant.not_graded_reason) == (True, "")


def test_opening_without_participants_shows_what_is_missing(world, login, cycle):
    page = login(world.county_assessor_a).get(detail(cycle)).content.decode()
    assert 'data-testid="blockers-open"' in page
    assert "还没有参评书记，请先登记参评名单。" in page
    assert 'data-testid="transition-open" aria-disabled="true"' in page


def test_a_cycle_without_a_template_says_so(world, login):
    bare = cycles.create_cycle(actor=None, county=world.county_a, name="空周期", year=2026)
    page = login(world.county_assessor_a).get(detail(bare)).content.decode()
    assert "尚未选择指标体系。" in page


def test_a_manager_walks_the_cycle_from_open_to_scoring(world, login, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    client = login(world.county_assessor_a)
    url = reverse("cycle-transition", args=[cycle.pk])
    response = client.post(
        url, {"name": "open", "version": 1, "note": "全县启动", "confirmed": "1"}
    )
    assert "已执行“开始考核”，当前状态：进行中。" in flashed(response)
    response = client.post(url, {"name": "start_scoring", "version": 1, "confirmed": "1"})
    assert "已被他人修改" in " ".join(flashed(response))
    response = client.post(url, {"name": "start_scoring", "version": 2, "confirmed": "1"})
    assert "已执行“进入评分”，当前状态：评分中。" in flashed(response)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.SCORING and cycle.frozen_template is not None
    moves = CycleTransition.objects.filter(cycle=cycle)
    assert [(t.to_status, t.actor) for t in moves] == [
        (CycleStatus.OPEN, world.county_assessor_a),
        (CycleStatus.SCORING, world.county_assessor_a),
    ]
    page = client.get(detail(cycle)).content.decode()
    assert "全县启动" in page and 'data-testid="frozen-template"' in page
    assert 'data-testid="transition-start_review"' in page
    assert 'data-testid="transition-reopen_entry"' in page


def test_a_transition_from_the_wrong_state_is_refused_with_its_reason(world, login, cycle):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("cycle-transition", args=[cycle.pk]),
        {"name": "publish", "version": 1, "confirmed": "1"},
    )
    assert "当前状态为“草稿”，不能执行“发布结果”。" in flashed(response)
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.DRAFT


@pytest.fixture
def published(world, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    return walk_to(cycle, "open", "start_scoring", "start_review", "publish")


def test_a_published_cycle_is_read_only_in_the_browser(world, login, published):
    client = login(world.county_assessor_a)
    page = client.get(detail(published)).content.decode()
    assert "已发布，只读" in page
    for control in ("enrol-controls", "cycle-settings-link", "grading-"):
        assert f'data-testid="{control}' not in page, control
    assert reverse("cycle-enrol", args=[published.pk]) not in page
    assert 'data-testid="transition-archive"' in page  # archiving is still possible
    before = (Cycle.objects.get(pk=published.pk).version, published.participants.count())

    response = client.post(
        reverse("cycle-settings", args=[published.pk]),
        settings_data(client, published, name="改名", version=published.version),
    )
    assert response.status_code == 200
    assert "已发布，不能再修改" in " ".join(response.context["form"].non_field_errors())
    response = client.post(reverse("cycle-enrol", args=[published.pk]))
    assert "已发布，不能再修改" in " ".join(flashed(response))
    participant = published.participants.first()
    response = client.post(
        reverse("participant-grading", args=[participant.pk]),
        {"version": participant.version, "reason": "改"},
    )
    assert "已发布，不能再修改" in " ".join(flashed(response))

    published.refresh_from_db()
    assert (published.version, published.participants.count()) == before
    assert published.name == "2026年度社区书记考核"
    assert Participant.objects.filter(cycle=published, is_graded=False).count() == 0


def test_settings_and_quarters_are_saved_together(world, login, cycle):
    client = login(world.county_assessor_a)
    data = settings_data(
        client,
        cycle,
        weight_self=20,
        weight_target=40,
        label_qualified="称职",
        label_basic="基本称职",
        label_failed="不称职",
        ranking_group="town",
        q1_ends_on="2026-03-20",
        q2_starts_on="2026-03-21",
    )
    response = client.post(reverse("cycle-settings", args=[cycle.pk]), data)
    assert response.status_code == 302 and response.url == detail(cycle)
    cycle.refresh_from_db()
    assert (cycle.weight_self, cycle.weight_target, cycle.weight_org) == (D(20), D(40), D(40))
    assert cycle.grade_labels == ("优秀", "称职", "基本称职", "不称职")
    assert cycle.version == 2
    assert cycle.quarters.get(number=2).starts_on == date(2026, 3, 21)
    page = client.get(detail(cycle)).content.decode()
    assert "自评 20% · 目标量评 40% · 组织考评 40%" in page
    assert "按乡镇/街道分别排名" in page
    assert "系数：一档 1.10 · 二档 1.00 · 三档 0.90" in page


def test_settings_errors_are_shown_on_their_field_and_nothing_is_saved(world, login, cycle):
    client = login(world.county_assessor_a)
    data = settings_data(client, cycle, weight_self=20, q3_starts_on="2026-06-01")
    response = client.post(reverse("cycle-settings", args=[cycle.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["weight_org"] == ["三评权重合计为 110，应为 100。"]
    assert "第 3 季度与上一季度重叠。" in form.non_field_errors()
    assert 'data-testid="error-weight_org"' in response.content.decode()
    cycle.refresh_from_db()
    assert (cycle.weight_self, cycle.version) == (D(10), 1)


def test_a_quarter_problem_alone_saves_no_setting_either(world, login, cycle):
    client = login(world.county_assessor_a)
    data = settings_data(client, cycle, name="改名", q4_ends_on="2027-01-31")
    response = client.post(reverse("cycle-settings", args=[cycle.pk]), data)
    assert "第 4 季度不在 2026 年度内。" in response.context["form"].non_field_errors()
    cycle.refresh_from_db()
    assert (cycle.name, cycle.version) == ("2026年度社区书记考核", 1)


def test_a_stale_settings_form_shows_the_other_persons_values(world, login, cycle):
    client = login(world.county_assessor_a)
    data = settings_data(client, cycle, bonus_cap=15)
    cycles.update_cycle(actor=world.admin_a, cycle=cycle, version=1, bonus_cap=D(25))
    response = client.post(reverse("cycle-settings", args=[cycle.pk]), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "已被他人修改" in text and 'data-testid="conflict"' in text
    assert ("加分上限", "25") in [(str(k), v) for k, v in response.context["conflict_rows"]]
    assert Cycle.objects.get(pk=cycle.pk).bonus_cap == D(25)


def test_the_template_cannot_be_changed_once_the_cycle_is_open(world, login, cycle):
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = walk_to(cycle, "open")
    client = login(world.county_assessor_a)
    form = client.get(reverse("cycle-settings", args=[cycle.pk])).context["form"]
    assert form.fields["template"].disabled
    data = settings_data(client, cycle, bonus_cap=10)
    response = client.post(reverse("cycle-settings", args=[cycle.pk]), data)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.bonus_cap == D(10) and cycle.template is not None


def more_communities(world, n):
    """n more communities in town QA1, each with its secretary."""
    for i in range(n):
        community = OrgUnitFactory(
            code=f"QA19{i}", name=f"新社区{i}", kind=OrgUnitKind.COMMUNITY, parent=world.town_a
        )
        SecretaryFactory(community=community, name=f"新书记{i}")


def test_the_list_page_has_a_fixed_number_of_queries(
    world, login, template, django_assert_max_num_queries
):
    more_communities(world, 5)
    for year in range(2020, 2032):
        made = cycles.create_cycle(
            actor=None, county=world.county_a, name=f"{year}年度考核", year=year, template=template
        )
        cycles.enrol_county(actor=None, cycle=made)
    client = login(world.county_assessor_a)
    with django_assert_max_num_queries(12):  # + the 通知 bell's unread count
        response = client.get(reverse("cycle-list"))
    assert [c.n_participants for c in response.context["object_list"]] == [8] * 12


# One more than the list alone: the participants counted per town (the page's summary).
@pytest.mark.parametrize("steps,queries", [((), 23), (("open",), 17)])
def test_the_detail_page_has_a_fixed_number_of_queries(
    world, login, cycle, steps, queries, django_assert_max_num_queries
):
    more_communities(world, 10)
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = walk_to(cycle, *steps)
    client = login(world.county_assessor_a)
    with django_assert_max_num_queries(queries):
        response = client.get(detail(cycle))
    assert len(response.context["participants"]) == 13


def test_every_transition_is_confirmed_on_a_page_that_says_what_it_will_do(world, login, cycle):
    """Issue 14, item 8: 进入评分 locked every self-evaluation without a word. The cycle
    page links to a confirmation that counts what the step affects; a POST that was not
    confirmed there changes nothing and leads to it."""
    from evidence.events import services as events
    from scoring.selfeval import services as selfeval

    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    selfeval.save_self_evaluation(
        actor=world.secretary_a1, participant=a1, items={}, summary="草稿", version=None
    )
    events.report_event(
        actor=world.town_assessor_a,
        participant=a1,
        event_type=cycle.frozen_template.event_types.get(code="ZJXF"),
        occurred_on=date(2026, 4, 1),
        description="信访一件",
    )
    client = login(world.county_assessor_a)
    page = client.get(detail(cycle)).content.decode()
    url = reverse("cycle-transition", args=[cycle.pk])
    assert f'href="{url}?name=start_scoring"' in page
    response = client.get(url, {"name": "start_scoring"})
    lines = [str(line) for line in response.context["consequences"]]
    assert lines[0].startswith("进入评分：自我检评全部锁定")
    total = cycle.participants.count()
    assert any(
        f"{total} 份自我检评尚未提交（未开始 {total - 1} 份、草稿 1 份）" in line for line in lines
    )
    assert "1 个事项仍待核实：待核实的事项不计分，核实后才计入。" in lines
    assert 'data-testid="confirm-transition"' in response.content.decode()
    # Not confirmed: nothing happens, the confirmation is shown.
    response = client.post(url, {"name": "start_scoring", "version": cycle.version})
    assert response.status_code == 302 and response.url == f"{url}?name=start_scoring"
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.OPEN
    response = client.post(
        url, {"name": "start_scoring", "version": cycle.version, "confirmed": "1"}
    )
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.SCORING
    # A step not available now goes back to the cycle page.
    assert client.get(url, {"name": "publish"}).url == detail(cycle)


def test_with_many_to_enrol_the_page_asks_for_the_staff_number(world, login, cycle, monkeypatch):
    """SPEC §6: a city's thousands of secretaries are not put in one drop-down; past a
    few hundred the page takes the 工号 of the one to enrol."""
    monkeypatch.setattr(cycle_views, "LISTED_TO_ENROL", 2)
    client = login(world.county_assessor_a)
    page = client.get(detail(cycle))
    assert page.context["add_form"].listed is False
    text = page.content.decode()
    assert 'name="staff_no"' in text and 'name="secretary"' not in text
    add = reverse("cycle-participant-add", args=[cycle.pk])
    response = client.post(add, {"staff_no": "SB1"})
    assert "已将 丙书记 登记为参评书记。" in flashed(response)
    assert [p.secretary.staff_no for p in cycle.participants.all()] == ["SB1"]
    for wrong in ("SC1", "SB1", ""):  # another county's, already enrolled, none
        response = client.post(add, {"staff_no": wrong})
        assert any(
            m in flashed(response) for m in ("所选书记不能登记到本周期。", "请选择要登记的书记。")
        )
    assert cycle.participants.count() == 1


def test_the_participant_list_filters_and_keeps_its_filters_in_the_pager(world, login, cycle):
    more_communities(world, 3)
    cycles.enrol_county(actor=None, cycle=cycle)
    participant = cycle.participants.get(secretary=world.secretaries["a2"])
    cycles.set_grading(
        actor=None, participant=participant, version=1, is_graded=False, reason="病休"
    )
    client = login(world.county_assessor_a)
    page = client.get(detail(cycle))
    towns = {t["name"]: (t["n"], t["graded"], t["not_graded"]) for t in page.context["towns"]}
    assert towns == {"城关镇": (5, 4, 1), "东湖街道": (1, 1, 0)}
    assert page.context["participant_total"] == 6 and page.context["graded_count"] == 5
    found = client.get(detail(cycle), {"q": "乙书记"}).context["participants"]
    assert [p.secretary.staff_no for p in found] == ["SA2"]
    by_town = client.get(detail(cycle), {"town": world.town_b.pk}).context["participants"]
    assert [p.secretary.staff_no for p in by_town] == ["SB1"]
    not_graded = client.get(detail(cycle), {"graded": "no"}).context["participants"]
    assert [p.pk for p in not_graded] == [participant.pk]
    text = client.get(detail(cycle), {"q": "书记", "per_page": "100"}).content.decode()
    assert 'name="per_page" value="100"' in text  # the filter form keeps the page size
    assert "没有符合条件的参评书记" in client.get(detail(cycle), {"q": "无此人"}).content.decode()

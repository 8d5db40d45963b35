"""自我检评 (issue 5; SPEC §1, §3.2): a draft saved all or nothing, submitted and locked,
returned with a reason by the assessors of the participant's county or town; the page
for the secretary, read-only for staff in scope, 404 for everyone else."""

import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Cycle
from scoring.models import CriticalIncident, ScoreEntry, SelfEvaluation, Source
from scoring.selfeval import (
    SelfEvaluationChanged,
    SelfEvaluationItem,
    return_self_evaluation,
    save_self_evaluation,
    self_evaluation_sheet,
    submit_self_evaluation,
)
from scoring.services import compute_cycle, enter_score
from tests.factories import fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    """County QA's open 2026 cycle on the seed template, every secretary enrolled; one
    rating leaf (违建管控) without behaviour anchors, so it takes a number."""
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def leaf(cycle, name):
    return cycle.frozen_template.nodes.get(name=name)


def level(cycle, leaf_name, label):
    return leaf(cycle, leaf_name).bars_levels.get(label=label)


@pytest.fixture
def me(world, cycle):
    """Secretary a1's participation in the open cycle."""
    return cycle.participants.get(secretary=world.secretaries["a1"])


def save(world, participant, answers, *, summary="", version=None, actor=None):
    """Save `answers` ({leaf: answer or (answer, note)}) with the versions now stored."""
    actor = actor or participant.secretary.user
    stored = {
        e.leaf_id: e.version
        for e in ScoreEntry.objects.filter(participant=participant, source=Source.SELF)
    }
    items = []
    for node, answer in answers.items():
        answer, note = answer if isinstance(answer, tuple) else (answer, "")
        items.append(SelfEvaluationItem(node, answer, note, stored.get(node.pk)))
    return save_self_evaluation(
        actor=actor, participant=participant, items=items, summary=summary, version=version
    )


def submit(participant, actor=None):
    evaluation = SelfEvaluation.objects.filter(participant=participant).first()
    return submit_self_evaluation(
        actor=actor or participant.secretary.user,
        participant=participant,
        version=evaluation.version if evaluation else None,
    )


def give_back(participant, actor, reason="请补充佐证材料"):
    evaluation = SelfEvaluation.objects.get(participant=participant)
    return return_self_evaluation(
        actor=actor, participant=participant, reason=reason, version=evaluation.version
    )


def self_values(participant):
    return {
        e.leaf.code: e.value
        for e in ScoreEntry.objects.filter(participant=participant, source=Source.SELF)
    }


# ------------------------------------------------------------------------ services


def test_a_first_save_creates_a_draft_with_levels_numbers_and_automatic_leaves(world, cycle, me):
    """SPEC §3.2: S counts every leaf — a level for an anchored leaf, a number for a
    rating leaf without anchors, and a self value for an automatic leaf too."""
    before = Cycle.objects.get(pk=cycle.pk).inputs_version
    evaluation = save(
        world,
        me,
        {
            leaf(cycle, "三会一课"): level(cycle, "三会一课", "较好"),
            leaf(cycle, "违建管控"): ("2.5", "台账见社区档案柜 2026-03"),
            leaf(cycle, "信访维稳"): "５",  # full-width digits are read as people mean them
        },
        summary="全年履职情况良好",
    )
    assert evaluation.status == "draft" and evaluation.summary == "全年履职情况良好"
    assert self_values(me) == {"1.1": D("4.20"), "2.2": D("2.5"), "2.3": D(5)}
    note = ScoreEntry.objects.get(participant=me, leaf__name="违建管控").note
    assert note == "台账见社区档案柜 2026-03"
    assert Cycle.objects.get(pk=cycle.pk).inputs_version > before
    sheet = self_evaluation_sheet(me)
    assert sheet.total == D("11.70") and sheet.filled == 3
    assert len(sheet.missing) == len(sheet.lines) - 3


def test_saving_is_all_or_nothing_and_reports_every_problem_at_once(world, cycle, me):
    """SPEC §7: nothing half-saved; every problem named by its leaf, all in one go."""
    with pytest.raises(ValidationError) as refused:
        save(
            world,
            me,
            {
                leaf(cycle, "违建管控"): "2",  # fine, but must not be saved alone
                leaf(cycle, "信访维稳"): "7",  # above the leaf's 6 points
                leaf(cycle, "三会一课"): "6",  # anchored: a level is needed
                leaf(cycle, "安全生产与环境卫生"): "五分",  # not a number
                leaf(cycle, "特殊群体帮扶"): ("", "只写了说明"),  # a note needs a level
                leaf(cycle, "会议出勤与在岗"): "1.234",  # two decimals at most
            },
        )
    messages = refused.value.messages
    assert len(messages) == 5
    for code, name in [
        ("2.3", "信访维稳"),
        ("1.1", "三会一课"),
        ("2.1", "安全生产与环境卫生"),
        ("2.5", "特殊群体帮扶"),
        ("4.1", "会议出勤与在岗"),
    ]:
        assert any(f"{code}“{name}”" in m for m in messages), (code, messages)
    assert set(refused.value.message_dict) == {"2.3", "1.1", "2.1", "2.5", "4.1"}
    assert self_values(me) == {}
    assert not SelfEvaluation.objects.filter(participant=me).exists()


def test_unchanged_leaves_are_not_written_again(world, cycle, me):
    node = leaf(cycle, "违建管控")
    save(world, me, {node: "2"})
    entry = ScoreEntry.objects.get(participant=me, leaf=node)
    save(world, me, {node: "2.00"})
    again = ScoreEntry.objects.get(participant=me, leaf=node)
    assert again.version == entry.version and again.history.count() == 1


def test_clearing_a_leaf_deletes_its_value_and_is_audited(world, cycle, me):
    node = leaf(cycle, "违建管控")
    save(world, me, {node: "2"})
    entry = ScoreEntry.objects.get(participant=me, leaf=node)
    save(world, me, {node: ""})
    assert not ScoreEntry.objects.filter(participant=me, leaf=node).exists()
    deleted = ScoreEntry.history.filter(id=entry.pk).latest("history_date")
    assert deleted.history_type == "-" and deleted.history_user == world.secretary_a1


def test_a_leaf_saved_elsewhere_meanwhile_refuses_the_whole_save(world, cycle, me):
    """DESIGN §4 optimistic locking: another window saved the leaf since this page was
    read; nothing of this save is kept, and the current value is handed back."""
    node, other = leaf(cycle, "违建管控"), leaf(cycle, "惠民政策落实")
    first = enter_score(
        actor=world.secretary_a1, participant=me, leaf=node, source=Source.SELF, value="1"
    )
    enter_score(
        actor=world.secretary_a1,
        participant=me,
        leaf=node,
        source=Source.SELF,
        value="2",
        version=first.version,
    )
    items = [
        SelfEvaluationItem(node, "3", "", first.version),
        SelfEvaluationItem(other, "1", "", None),
    ]
    with pytest.raises(SelfEvaluationChanged) as refused:
        save_self_evaluation(
            actor=world.secretary_a1, participant=me, items=items, summary="", version=None
        )
    assert refused.value.entries[node.pk].value == D(2)
    assert self_values(me) == {"2.2": D(2)}


def test_a_summary_changed_elsewhere_is_not_overwritten(world, cycle, me):
    evaluation = save(world, me, {}, summary="第一稿")
    save(world, me, {}, summary="第二稿", version=evaluation.version)
    with pytest.raises(SelfEvaluationChanged) as refused:
        save(world, me, {}, summary="旧页面的内容", version=evaluation.version)
    assert refused.value.summary_changed
    assert SelfEvaluation.objects.get(participant=me).summary == "第二稿"


def test_submitting_locks_the_self_evaluation(world, cycle, me):
    node = leaf(cycle, "违建管控")
    save(world, me, {node: "2"})
    evaluation = submit(me)
    assert evaluation.status == "submitted" and evaluation.submitted_at is not None
    entry = ScoreEntry.objects.get(participant=me, leaf=node)
    with pytest.raises(ValidationError, match="自评已提交"):
        enter_score(
            actor=world.secretary_a1,
            participant=me,
            leaf=node,
            source=Source.SELF,
            value="3",
            version=entry.version,
        )
    with pytest.raises(ValidationError, match="提交并锁定"):
        save(world, me, {node: "3"})
    with pytest.raises(ValidationError, match="无需重复提交"):
        submit(me)
    assert self_values(me) == {"2.2": D(2)}


def test_empty_leaves_may_be_submitted_and_count_zero_flagged_incomplete(world, cycle, me):
    """SPEC §3.2: a missing self leaf counts 0 and is flagged 自评不完整."""
    save(world, me, {leaf(cycle, "违建管控"): "2"})
    submit(me)
    compute_cycle(cycle.pk)
    result = me.results.get(version__is_current=True)
    assert result.self_total == D(2)
    assert any(w.startswith("自评不完整") for w in result.warnings)


def test_a_returned_evaluation_shows_the_reason_and_is_editable_until_resubmitted(world, cycle, me):
    node = leaf(cycle, "违建管控")
    save(world, me, {node: "3"})
    submit(me)
    returned = give_back(me, world.county_assessor_a, "  违建管控的分数偏高，请附巡查台账  ")
    assert returned.status == "returned"
    assert returned.returned_by == world.county_assessor_a
    assert returned.returned_reason == "违建管控的分数偏高，请附巡查台账"
    assert returned.returned_at is not None
    still = save(world, me, {node: ("2", "巡查台账第 12 页")})
    assert still.status == "returned"
    assert submit(me).status == "submitted"
    statuses = [
        row.status for row in SelfEvaluation.history.filter(participant=me).order_by("history_date")
    ]
    assert statuses == ["draft", "submitted", "returned", "submitted"]
    users = {row.history_user for row in SelfEvaluation.history.filter(participant=me)}
    assert users == {world.secretary_a1, world.county_assessor_a}


def test_a_return_needs_a_reason_and_a_submitted_evaluation(world, cycle, me):
    save(world, me, {leaf(cycle, "违建管控"): "3"})
    with pytest.raises(ValidationError, match="尚未提交"):
        give_back(me, world.county_assessor_a)
    submit(me)
    with pytest.raises(ValidationError, match="请填写退回原因"):
        give_back(me, world.county_assessor_a, "   ")
    assert SelfEvaluation.objects.get(participant=me).status == "submitted"


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("county_assessor_a", True),
        ("admin_a", True),
        ("town_assessor_a", True),  # the participant's own town
        ("outsider_b", False),  # town assessor of another town
        ("observer_a", False),  # reads, never returns
        ("split_person", False),  # admin elsewhere, observer here
    ],
)
def test_who_may_return_a_self_evaluation(world, cycle, me, persona, may):
    """SPEC §1: the county's assessors and admins, the town assessors of the town."""
    save(world, me, {leaf(cycle, "违建管控"): "3"})
    submit(me)
    if may:
        assert give_back(me, world.persona(persona)).status == "returned"
    else:
        with pytest.raises(PermissionDenied):
            give_back(me, world.persona(persona))
        assert SelfEvaluation.objects.get(participant=me).status == "submitted"


def test_only_the_secretary_themself_saves_and_submits(world, cycle, me):
    node = leaf(cycle, "违建管控")
    for outsider in (world.county_assessor_a, world.secretaries["a2"].user):
        with pytest.raises(PermissionDenied):
            save(world, me, {node: "2"}, actor=outsider)
        with pytest.raises(PermissionDenied):
            submit(me, actor=outsider)
    assert not SelfEvaluation.objects.filter(participant=me).exists()


def test_self_evaluation_happens_only_while_the_cycle_is_open(world, cycle, me):
    """SPEC §2: 自我检评 in 进行中; once 评分中 it is closed for saving, submitting and
    returning."""
    node = leaf(cycle, "违建管控")
    save(world, me, {node: "2"})
    submit(me)
    cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    with pytest.raises(ValidationError, match="评分中"):
        give_back(me, world.county_assessor_a)
    other = cycle.participants.get(secretary=world.secretaries["a2"])
    with pytest.raises(ValidationError, match="只能在“进行中”填报和提交"):
        save(world, other, {node: "2"})
    with pytest.raises(ValidationError, match="只能在“进行中”填报和提交"):
        submit(other)


# --------------------------------------------------------------------------- pages


def page_url(participant):
    return reverse("selfeval", args=[participant.pk])


def form_data(participant, answers=None, notes=None, *, action="save", summary=""):
    """The page's form as the browser posts it: every leaf's version, answers by code
    (a level label for an anchored leaf)."""
    answers, notes = answers or {}, notes or {}
    sheet = self_evaluation_sheet(participant)
    evaluation = SelfEvaluation.objects.filter(participant=participant).first()
    data = {
        "action": action,
        "summary": summary,
        "version": evaluation.version if evaluation else "",
    }
    for line in sheet.lines:
        prefix = f"leaf-{line.leaf.pk}-"
        data[prefix + "version"] = "" if line.version is None else line.version
        data[prefix + "note"] = notes.get(line.leaf.code, line.note)
        answer = answers.get(line.leaf.code, line.answer)
        if line.uses_levels and line.leaf.code in answers:
            answer = next(str(lv.pk) for lv in line.levels if lv.label == answer)
        if answer:
            data[prefix + "answer"] = answer
    return data


def test_the_secretary_sees_the_page_grouped_by_dimension_with_criteria_and_levels(
    world, cycle, me, login, django_assert_max_num_queries
):
    save(world, me, {leaf(cycle, "三会一课"): level(cycle, "三会一课", "好")})
    CriticalIncident.objects.create(
        participant=me, text="成功调解一起群体性纠纷", author=world.town_assessor_a
    )
    client = login(world.secretary_a1)
    with django_assert_max_num_queries(17):  # + the 通知 bell's unread count
        response = client.get(page_url(me))
    assert response.status_code == 200
    text = response.content.decode()
    for dimension in ("党建", "社区治理与民生服务", "重点工作与创新突破", "廉政与履职规范"):
        assert dimension in text
    assert "按规定召开支部党员大会" in text  # 评分标准 of 1.1
    assert "全面、按时、高质量完成，有台账可查" in text  # a BARS level's description
    assert "成功调解一起群体性纠纷" in text  # 关键事件 beside the scores
    assert 'id="selfeval-total" data-testid="selfeval-total">6.00<' in text
    assert 'data-testid="subtotal-1">6.00<' in text
    assert 'data-testid="save-draft"' in text and 'data-testid="submit-open"' in text
    assert "js/selfeval.js" in text


def test_the_page_saves_a_draft_and_reports_every_problem_without_saving(world, cycle, me, login):
    client = login(world.secretary_a1)
    bad = form_data(me, {"1.1": "较好", "2.2": "9", "2.3": "abc"})
    response = client.post(page_url(me), bad)
    assert response.status_code == 200
    text = response.content.decode()
    assert "本次没有保存任何内容" in text
    assert "2.2“违建管控”" in text and "2.3“信访维稳”" in text
    assert 'value="abc"' in text  # what the person typed stays on the page
    assert self_values(me) == {}
    good = form_data(me, {"1.1": "较好", "2.2": "2.5"}, {"2.2": "巡查记录"}, summary="总结")
    response = client.post(page_url(me), good, follow=True)
    assert "草稿已保存（2 / 20 项已填写）" in response.content.decode()
    assert self_values(me) == {"1.1": D("4.20"), "2.2": D("2.5")}
    assert SelfEvaluation.objects.get(participant=me).summary == "总结"


def test_the_page_shows_a_leaf_changed_elsewhere_with_its_current_value(world, cycle, me, login):
    client = login(world.secretary_a1)
    client.post(page_url(me), form_data(me, {"2.2": "1"}))
    stale_page = form_data(me, {"2.2": "3"})
    client.post(page_url(me), form_data(me, {"2.2": "2"}, {"2.2": "另一窗口"}))
    response = client.post(page_url(me), stale_page)
    text = response.content.decode()
    assert 'data-testid="conflict"' in text
    assert re.search(r"此项已在其他窗口或设备上保存为：<strong>2</strong>；说明：另一窗口", text)
    assert self_values(me) == {"2.2": D(2)}
    # Saving again from the page as shown is deliberate and goes through.
    node = leaf(cycle, "违建管控")
    stale_page[f"leaf-{node.pk}-version"] = ScoreEntry.objects.get(
        participant=me, leaf=node
    ).version
    client.post(page_url(me), stale_page)
    assert self_values(me) == {"2.2": D(3)}


def test_submitting_from_the_page_saves_first_lists_the_gaps_and_locks(world, cycle, me, login):
    client = login(world.secretary_a1)
    response = client.post(page_url(me), form_data(me, {"2.2": "2"}, action="submit"), follow=True)
    text = response.content.decode()
    assert "自评已提交并锁定。以下 19 项未填写" in text and "1.1 三会一课" in text
    # One banner says it is locked and what to do — not a second box saying the same.
    assert 'data-testid="submitted-banner"' in text and 'data-testid="read-only"' not in text
    assert text.count("提交并锁定") == 2  # the flash message and the banner
    assert "如需修改，请联系考核员退回" in text
    assert 'data-testid="save-draft"' not in text
    assert self_values(me) == {"2.2": D(2)}
    response = client.post(page_url(me), form_data(me, {"2.2": "3"}))
    assert "提交并锁定" in response.content.decode()
    assert self_values(me) == {"2.2": D(2)}


def test_an_assessor_returns_from_the_page_and_the_secretary_sees_the_reason(
    world, cycle, me, login, client
):
    save(world, me, {leaf(cycle, "违建管控"): "3"})
    submit(me)
    login(world.town_assessor_a)
    text = client.get(page_url(me)).content.decode()
    assert 'data-testid="return-form"' in text and 'data-testid="save-draft"' not in text
    url = reverse("selfeval-return", args=[me.pk])
    version = SelfEvaluation.objects.get(participant=me).version
    response = client.post(url, {"reason": "", "version": version})
    assert "请填写退回原因" in response.content.decode()
    client.post(url, {"reason": "请补充三会一课记录", "version": version})
    login(world.secretary_a1)
    text = client.get(page_url(me)).content.decode()
    assert 'data-testid="returned-banner"' in text and "请补充三会一课记录" in text
    assert 'data-testid="save-draft"' in text


def test_staff_in_scope_read_the_page_and_others_get_404(world, cycle, me, login, client):
    save(world, me, {leaf(cycle, "违建管控"): "3"})
    submit(me)
    for persona in ("observer_a", "county_assessor_a", "town_assessor_a", "admin_a"):
        login(world.persona(persona))
        text = client.get(page_url(me)).content.decode()
        assert 'data-testid="read-only"' in text and 'data-testid="save-draft"' not in text
        assert client.post(page_url(me), form_data(me, {"2.2": "1"})).status_code == 403
    # Observers read and never return; so does the admin of another county who observes
    # this town (the split person).
    for persona in ("observer_a", "split_person"):
        login(world.persona(persona))
        text = client.get(page_url(me)).content.decode()
        assert 'data-testid="read-only"' in text and 'data-testid="return-form"' not in text
        response = client.post(reverse("selfeval-return", args=[me.pk]), {"reason": "x"})
        assert response.status_code == 403
    login(world.outsider_b)
    assert client.get(page_url(me)).status_code == 404
    assert client.post(reverse("selfeval-return", args=[me.pk]), {"reason": "x"}).status_code == 404
    login(world.secretaries["a2"].user)
    assert client.get(page_url(me)).status_code == 404
    assert client.post(page_url(me), form_data(me, {"2.2": "1"})).status_code == 404
    assert self_values(me) == {"2.2": D(3)}
    assert SelfEvaluation.objects.get(participant=me).status == "submitted"


def test_the_page_is_read_only_outside_the_window_and_says_why(world, cycle, me, login):
    cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    client = login(world.secretary_a1)
    text = client.get(page_url(me)).content.decode()
    assert "考核周期当前为“评分中”" in text and 'data-testid="save-draft"' not in text
    response = client.post(page_url(me), form_data(me, {"2.2": "1"}))
    assert "只能在“进行中”填报和提交" in response.content.decode()
    assert self_values(me) == {}


def test_the_cycle_page_links_each_role_to_its_self_evaluation_page(world, cycle, me, login):
    text = login(world.secretary_a1).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert page_url(me) in text.decode()
    text = login(world.town_assessor_a).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert reverse("selfeval-list", args=[cycle.pk]) in text.decode()


def test_the_staff_list_shows_status_progress_and_totals_in_scope(
    world, cycle, me, login, django_assert_max_num_queries
):
    save(
        world,
        me,
        {
            leaf(cycle, "违建管控"): "3",
            leaf(cycle, "惠民政策落实"): level(cycle, "惠民政策落实", "较好"),
        },
    )
    submit(me)
    url = reverse("selfeval-list", args=[cycle.pk])
    client = login(world.town_assessor_a)
    with django_assert_max_num_queries(15):  # + the 通知 bell's unread count
        response = client.get(url)
    text = response.content.decode()
    assert "甲书记" in text and "乙书记" in text and "丙书记" not in text  # town A only
    row = text.split(f'data-testid="selfeval-row-{me.pk}"')[1].split("</tr>")[0]
    assert "已提交" in row and "2 / 20" in row and "5.10" in row
    text = client.get(url, {"status": "submitted"}).content.decode()
    assert "甲书记" in text and "乙书记" not in text
    text = client.get(url, {"status": "none"}).content.decode()
    assert "甲书记" not in text and "乙书记" in text
    assert login(world.secretary_a1).get(url).status_code == 403


def test_the_staff_list_filters_by_town_and_shows_the_returned_first(world, cycle, login):
    """自我检评情况 (issue 14): a town filter, and the returned ones — waiting for their
    secretary — at the top."""
    b1 = cycle.participants.get(secretary=world.secretaries["b1"])
    save(world, b1, {}, summary="初稿")
    submit(b1)
    give_back(b1, world.county_assessor_a, reason="请补充佐证")
    url = reverse("selfeval-list", args=[cycle.pk])
    client = login(world.county_assessor_a)
    response = client.get(url)
    rows = [p.secretary.name for p in response.context["object_list"]]
    assert rows[0] == "丙书记" and {"甲书记", "乙书记"} <= set(rows)
    assert 'data-testid="town-filter"' in response.content.decode()
    response = client.get(url, {"town": world.town_a.pk})
    assert [p.secretary.name for p in response.context["object_list"]] == ["甲书记", "乙书记"]
    assert f"town={world.town_a.pk}" in response.content.decode()  # status links keep it
    response = client.get(url, {"town": world.town_b.pk, "status": "returned"})
    assert [p.secretary.name for p in response.context["object_list"]] == ["丙书记"]

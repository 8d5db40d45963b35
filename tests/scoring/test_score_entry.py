"""Score entry rules (SPEC §3.2): values, anchors, automatic leaves, windows, who enters
which source, optimistic locking, and stale results."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment import services as cycles
from assessment.models import Cycle
from core.versioning import StaleVersion
from scoring.models import ScoreEntry, Source
from scoring.services import enter_score, withdraw_score
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

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


def to_scoring(cycle):
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


def test_a_secretary_self_evaluates_within_the_points(world, cycle):
    """SPEC §3.2: 0 ≤ value ≤ points."""
    me = participant(world, cycle)
    before = Cycle.objects.get(pk=cycle.pk).inputs_version
    entry = enter_score(
        actor=world.secretary_a1,
        participant=me,
        leaf=leaf(cycle, "违建管控"),
        source=Source.SELF,
        value="3",
    )
    assert entry.value == D(3)
    with pytest.raises(ValidationError, match="应在 0 到 3 之间"):
        enter_score(
            actor=world.secretary_a1,
            participant=me,
            leaf=leaf(cycle, "违建管控"),
            source=Source.SELF,
            value="3.5",
            version=entry.version,
        )
    assert Cycle.objects.get(pk=cycle.pk).inputs_version == before + 1


def test_an_anchored_leaf_takes_a_level(world, cycle):
    """SPEC §3.1 BARS: a rater picks a level; its value is the score."""
    me = participant(world, cycle)
    node = leaf(cycle, "三会一课")
    with pytest.raises(ValidationError, match="请选择一个行为锚定等级"):
        enter_score(
            actor=world.secretary_a1, participant=me, leaf=node, source=Source.SELF, value="6"
        )
    good = node.bars_levels.get(label="较好")
    entry = enter_score(
        actor=world.secretary_a1, participant=me, leaf=node, source=Source.SELF, level=good
    )
    assert entry.value == good.value == D("4.20")


def test_a_target_value_for_an_automatic_leaf_is_refused(world, cycle):
    """SPEC §3.2: a hand-entered target value for an automatic leaf is rejected."""
    with pytest.raises(ValidationError, match="由系统按数据计算"):
        enter_score(
            actor=world.county_assessor_a,
            participant=participant(world, cycle),
            leaf=leaf(cycle, "信访维稳"),
            source=Source.TARGET,
            value="5",
        )


def test_an_org_override_of_an_automatic_leaf_needs_a_note(world, cycle):
    """SPEC §3.2: automatic leaves use the computed value unless an org rater entered an
    override, which needs a note."""
    cycle = to_scoring(cycle)
    args = {
        "actor": world.county_assessor_a,
        "participant": participant(world, cycle),
        "leaf": leaf(cycle, "信访维稳"),
        "source": Source.ORG,
        "value": "4",
    }
    with pytest.raises(ValidationError, match="必须写明理由"):
        enter_score(**args)
    assert enter_score(**args, note="经复核，一件信访已化解").value == D(4)


def test_windows_follow_the_lifecycle(world, cycle):
    """自评 while 进行中, 组织 while 评分中."""
    me = participant(world, cycle)
    with pytest.raises(ValidationError, match="不能录入组织考评"):
        enter_score(
            actor=world.county_assessor_a,
            participant=me,
            leaf=leaf(cycle, "违建管控"),
            source=Source.ORG,
            value="2",
        )
    cycle = to_scoring(cycle)
    with pytest.raises(ValidationError, match="不能录入自评"):
        enter_score(
            actor=world.secretary_a1,
            participant=me,
            leaf=leaf(cycle, "违建管控"),
            source=Source.SELF,
            value="2",
        )


def test_who_enters_which_source_follows_scope_and_settings(world, cycle):
    """SPEC §1 and the cycle's 目标量评录入 setting (提级考核 or towns)."""
    me = participant(world, cycle)
    node = leaf(cycle, "违建管控")
    for outsider, source in [
        (world.town_assessor_a, Source.TARGET),  # 提级考核: the county enters 目标
        (world.secretaries["a2"].user, Source.SELF),  # someone else's self-evaluation
        (world.observer_a, Source.TARGET),
        (world.split_person, Source.TARGET),
    ]:
        with pytest.raises(PermissionDenied):
            enter_score(actor=outsider, participant=me, leaf=node, source=source, value="2")
    cycle = cycles.update_cycle(
        actor=None, cycle=Cycle.objects.get(pk=cycle.pk), version=cycle.version, target_entry="town"
    )
    assert enter_score(
        actor=world.town_assessor_a, participant=me, leaf=node, source=Source.TARGET, value="2"
    )
    with pytest.raises(PermissionDenied):
        enter_score(
            actor=world.outsider_b, participant=me, leaf=node, source=Source.TARGET, value="2"
        )


def test_a_stale_entry_is_refused(world, cycle):
    me = participant(world, cycle)
    node = leaf(cycle, "违建管控")
    first = enter_score(
        actor=world.secretary_a1, participant=me, leaf=node, source=Source.SELF, value="1"
    )
    enter_score(
        actor=world.secretary_a1,
        participant=me,
        leaf=node,
        source=Source.SELF,
        value="2",
        version=1,
    )
    with pytest.raises(StaleVersion):
        enter_score(
            actor=world.secretary_a1,
            participant=me,
            leaf=node,
            source=Source.SELF,
            value="3",
            version=first.version,
        )
    assert ScoreEntry.objects.get(participant=me, leaf=node).value == D(2)


def test_only_leaves_of_the_cycles_frozen_template_take_scores(world, cycle):
    me = participant(world, cycle)
    live_leaf = cycle.template.nodes.get(name="违建管控")
    dimension = cycle.frozen_template.nodes.get(code="1")
    for node in (live_leaf, dimension):
        with pytest.raises(ValidationError, match="末级指标"):
            enter_score(
                actor=world.secretary_a1, participant=me, leaf=node, source=Source.SELF, value="1"
            )


def test_a_published_cycle_refuses_scores(world, cycle):
    for name in ("start_scoring", "start_review", "publish"):
        if name == "start_review":
            cycle = complete_scoring(cycle, world.county_assessor_a)
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    with pytest.raises(ValidationError, match="已发布，不能再修改"):
        enter_score(
            actor=world.county_assessor_a,
            participant=participant(world, cycle),
            leaf=leaf(cycle, "违建管控"),
            source=Source.ORG,
            value="2",
        )


def test_entries_are_scoped_and_audited(world, cycle):
    me = participant(world, cycle)
    entry = enter_score(
        actor=world.secretary_a1,
        participant=me,
        leaf=leaf(cycle, "违建管控"),
        source=Source.SELF,
        value="3",
    )
    assert entry.history.get().history_user == world.secretary_a1
    assert entry in ScoreEntry.objects.for_user(world.town_assessor_a)
    assert entry not in ScoreEntry.objects.for_user(world.secretaries["a2"].user)
    assert entry not in ScoreEntry.objects.for_user(world.outsider_b)


def _row_locks(queries):
    """The locking statements among `queries` that also lock rows of other tables: a
    `FOR UPDATE` over a join (an inherited ordering or select_related) without `OF`."""
    return [
        q["sql"]
        for q in queries
        if "FOR UPDATE" in q["sql"] and " JOIN " in q["sql"] and "FOR UPDATE OF" not in q["sql"]
    ]


def test_saving_a_score_locks_only_the_entry(world, cycle):
    """Concurrency (DESIGN §4): entering, changing and withdrawing a value lock the score
    entry's row alone. The entry's default ordering joins the participant, the leaf and
    the rater: locked with them, every assessor saving a cell of the same leaf — or for
    the same participant — waited for the others' transactions."""
    mine = {
        "actor": world.secretary_a1,
        "participant": participant(world, cycle),
        "leaf": leaf(cycle, "违建管控"),
        "source": Source.SELF,
    }
    with CaptureQueriesContext(connection) as captured:
        first = enter_score(**mine, value="1")
        second = enter_score(**mine, value="2", version=first.version)
        withdraw_score(**mine, version=second.version)
    assert any("FOR UPDATE" in q["sql"] for q in captured.captured_queries)
    assert _row_locks(captured.captured_queries) == []

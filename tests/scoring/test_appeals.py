"""Appeals (申诉/复核, SPEC §2, issue 5): filed by the secretary during 公示, accepted by a
county assessor (only that participant reopened), scores corrected with before/after,
decided or rejected; publication waits for open appeals; scoped pages."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Cycle
from scoring.appeals import services as appeals
from scoring.models import Appeal, AppealChange, AppealStatus, Result, ScoreEntry, Source
from scoring.services import compute_cycle, current_results, enter_score
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    """County QA's cycle in 公示, every 目标/组织 score entered, results current."""
    cycle = open_seed_cycle(shared_world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, shared_world.county_assessor_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def mine(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def org_entry(world, cycle):
    """甲书记's 组织考评 entry on the directly scored leaf 违建管控."""
    return ScoreEntry.objects.select_related("leaf").get(
        participant=mine(world, cycle), source=Source.ORG, leaf__name="违建管控"
    )


def filed(world, cycle):
    return appeals.file_appeal(
        actor=world.secretary_a1,
        participant=mine(world, cycle),
        reasons="2.3 项台账齐全，组织考评偏低。",
        evidence="会议记录第 12 号",
    )


def test_a_secretary_appeals_own_result_during_review_only(world, cycle):
    appeal = filed(world, cycle)
    assert appeal.status == AppealStatus.FILED and appeal.filed_by == world.secretary_a1
    with pytest.raises(ValidationError, match="已有一件申诉正在处理"):
        filed(world, cycle)
    other = cycle.participants.get(secretary=world.secretaries["a2"])
    with pytest.raises(PermissionDenied):
        appeals.file_appeal(actor=world.secretary_a1, participant=other, reasons="代人申诉")
    with pytest.raises(ValidationError, match="请写明申诉理由"):
        appeals.file_appeal(actor=world.secretaries["a2"].user, participant=other, reasons="  ")


def test_appeals_are_only_for_the_review_period(world, cycle):
    cycle = cycles.transition(
        actor=None, cycle=cycle, name="withdraw_review", version=cycle.version
    )
    with pytest.raises(ValidationError, match="申诉只能在公示期间"):
        filed(world, cycle)


def test_review_reopens_only_that_participant_and_keeps_before_and_after(world, cycle):
    """SPEC §2: the decision and changed scores are recorded; only the affected
    secretary is reopened; the results are recomputed."""
    appeal = filed(world, cycle)
    entry = org_entry(world, cycle)
    other = ScoreEntry.objects.filter(
        participant__secretary=world.secretaries["a2"], source=Source.ORG
    ).first()
    # Outside an accepted appeal, scores stay closed in 公示.
    with pytest.raises(ValidationError, match="只有复核中的申诉可以改分"):
        appeals.correct_score(
            actor=world.county_assessor_a,
            appeal=appeal,
            entry=entry,
            value=entry.leaf.points,
            note="核实台账",
            version=entry.version,
        )
    appeal = appeals.accept_appeal(
        actor=world.county_assessor_a, appeal=appeal, version=appeal.version
    )
    with pytest.raises(PermissionDenied):
        appeals.correct_score(
            actor=world.county_assessor_a,
            appeal=appeal,
            entry=other,
            value=D(0),
            note="越权改分",
            version=other.version,
        )
    with pytest.raises(ValidationError, match="请写明改分理由"):
        appeals.correct_score(
            actor=world.county_assessor_a,
            appeal=appeal,
            entry=entry,
            value=entry.leaf.points,
            note="",
            version=entry.version,
        )
    before = entry.value
    change = appeals.correct_score(
        actor=world.county_assessor_a,
        appeal=appeal,
        entry=entry,
        value=entry.leaf.points,
        note="核实台账齐全",
        version=entry.version,
    )
    assert (change.before, change.after, change.rater) == (
        before,
        entry.leaf.points,
        world.county_assessor_a,
    )
    entry.refresh_from_db()
    assert entry.value == entry.leaf.points and entry.version == 2
    assert entry.history.first().history_user == world.county_assessor_a
    # The regular score entry stays closed for everyone in 公示.
    with pytest.raises(ValidationError, match="不能录入"):
        enter_score(
            actor=world.county_assessor_a,
            participant=mine(world, cycle),
            leaf=entry.leaf,
            source=Source.ORG,
            value="0",
            version=entry.version,
        )
    # The results follow after recompute.
    compute_cycle(cycle.pk)
    row = Result.objects.get(version=current_results(cycle), participant=mine(world, cycle))
    assert row.leaves.get(leaf=entry.leaf).org_value == entry.leaf.points
    decided = appeals.decide_appeal(
        actor=world.county_assessor_a,
        appeal=appeal,
        version=appeal.version,
        decision="经核实，2.3 项组织考评调整为满分。",
    )
    assert decided.status == AppealStatus.DECIDED and decided.decided_at
    with pytest.raises(ValidationError, match="只有复核中的申诉可以改分"):
        appeals.correct_score(
            actor=world.county_assessor_a,
            appeal=decided,
            entry=entry,
            value=D(0),
            note="再改",
            version=entry.version,
        )


def test_a_stale_correction_is_refused(world, cycle):
    appeal = filed(world, cycle)
    appeal = appeals.accept_appeal(
        actor=world.county_assessor_a, appeal=appeal, version=appeal.version
    )
    entry = org_entry(world, cycle)
    from core.versioning import StaleVersion

    with pytest.raises(StaleVersion):
        appeals.correct_score(
            actor=world.county_assessor_a,
            appeal=appeal,
            entry=entry,
            value=D(1),
            note="核实",
            version=entry.version + 1,
        )
    assert not AppealChange.objects.exists()


def test_only_county_managers_handle_appeals(world, cycle):
    appeal = filed(world, cycle)
    for outsider in (world.town_assessor_a, world.observer_a, world.secretary_a1):
        with pytest.raises(PermissionDenied):
            appeals.accept_appeal(actor=outsider, appeal=appeal, version=appeal.version)


def test_a_rejection_needs_a_reason_and_publication_waits_for_open_appeals(world, cycle):
    appeal = filed(world, cycle)
    with pytest.raises(ValidationError, match="还有 1 件申诉未办结"):
        cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    with pytest.raises(ValidationError, match="不予受理的理由"):
        appeals.reject_appeal(
            actor=world.county_assessor_a, appeal=appeal, version=appeal.version, reason=""
        )
    appeals.reject_appeal(
        actor=world.county_assessor_a,
        appeal=appeal,
        version=appeal.version,
        reason="所述情况已在组织考评中考虑。",
    )
    published = cycles.transition(
        actor=None, cycle=Cycle.objects.get(pk=cycle.pk), name="publish", version=cycle.version
    )
    assert published.status == "published"


# --------------------------------------------------------------------------- pages


def test_the_secretary_files_an_appeal_in_the_browser(world, login, cycle):
    client = login(world.secretary_a1)
    page = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert reverse("appeal-list", args=[cycle.pk]) in page
    listing = client.get(reverse("appeal-list", args=[cycle.pk])).content.decode()
    assert 'data-testid="file-appeal"' in listing
    response = client.post(reverse("appeal-create", args=[cycle.pk]), {"reasons": ""})
    assert "请写明申诉理由" in response.content.decode()
    assert not Appeal.objects.exists()
    response = client.post(
        reverse("appeal-create", args=[cycle.pk]),
        {"reasons": "组织考评偏低", "evidence": "台账"},
        follow=True,
    )
    appeal = Appeal.objects.get()
    assert response.redirect_chain[-1][0] == reverse("appeal-detail", args=[appeal.pk])
    assert "组织考评偏低" in response.content.decode()
    # Another secretary neither sees it nor reaches it.
    client.force_login(world.secretaries["a2"].user)
    assert client.get(reverse("appeal-detail", args=[appeal.pk])).status_code == 404
    assert (
        "组织考评偏低" not in client.get(reverse("appeal-list", args=[cycle.pk])).content.decode()
    )


def test_the_assessor_reviews_an_appeal_in_the_browser(world, login, cycle):
    appeal = filed(world, cycle)
    client = login(world.county_assessor_a)
    page = client.get(reverse("appeal-detail", args=[appeal.pk])).content.decode()
    assert 'data-testid="accept-appeal"' in page
    client.post(
        reverse("appeal-act", args=[appeal.pk]), {"action": "accept", "version": appeal.version}
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REVIEWING
    entry = org_entry(world, cycle)
    page = client.get(reverse("appeal-detail", args=[appeal.pk])).content.decode()
    assert f'data-testid="correct-{entry.pk}"' in page
    response = client.post(
        reverse("appeal-correct", args=[appeal.pk]),
        {"entry": entry.pk, "version": entry.version, "value": "999", "note": "核实"},
        follow=True,
    )
    assert "的分数应在 0 到" in response.content.decode()
    response = client.post(
        reverse("appeal-correct", args=[appeal.pk]),
        {"entry": entry.pk, "version": entry.version, "value": "1", "note": "核实台账"},
        follow=True,
    )
    assert "改为 1" in response.content.decode()
    assert 'data-testid="appeal-changes"' in response.content.decode()
    client.post(
        reverse("appeal-act", args=[appeal.pk]),
        {"action": "decide", "version": appeal.version, "text": "调整一项"},
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DECIDED
    # The town assessor reads, but has no buttons and cannot act (403: not their role).
    client.force_login(world.town_assessor_a)
    page = client.get(reverse("appeal-detail", args=[appeal.pk])).content.decode()
    assert "调整一项" in page and "accept-appeal" not in page
    response = client.post(
        reverse("appeal-act", args=[appeal.pk]), {"action": "accept", "version": 1}
    )
    assert response.status_code == 403


def test_a_reviewer_adds_an_own_score_on_an_anchored_leaf(world, login, cycle):
    """补录: a new 组织考评 entry of the reviewer's own on a BARS leaf takes a level."""
    appeal = filed(world, cycle)
    appeals.accept_appeal(actor=world.county_assessor_a, appeal=appeal, version=appeal.version)
    anchored = (
        cycle.frozen_template.nodes.filter(method="rating", bars_levels__isnull=False)
        .distinct()
        .order_by("sort_key")
        .first()
    )
    level = anchored.bars_levels.order_by("-value").first()
    other = cycle.frozen_template.nodes.get(name="违建管控")
    client = login(world.admin_a)
    page = client.get(reverse("appeal-detail", args=[appeal.pk])).content.decode()
    assert f'value="{level.pk}"' in page
    url = reverse("appeal-correct", args=[appeal.pk])
    response = client.post(
        url,
        {"leaf": other.pk, "source": "org", "level": level.pk, "note": "补录"},
        follow=True,
    )
    assert "所选等级不属于指标" in response.content.decode()
    response = client.post(
        url,
        {"leaf": anchored.pk, "source": "org", "level": level.pk, "note": "复核补录"},
        follow=True,
    )
    entry = ScoreEntry.objects.get(
        participant=mine(world, cycle), leaf=anchored, rater=world.admin_a
    )
    assert (entry.level, entry.value, entry.source) == (level, level.value, Source.ORG)
    change = AppealChange.objects.get()
    assert (change.before, change.after) == (None, level.value)


def test_my_appeals_says_when_appeals_are_possible_and_what_to_do(world, cycle, login):
    """Issue 14: 我的申诉 names the 公示 dates and the steps; the cycle page's read-only
    note leads to it."""
    client = login(world.secretary_a1)
    url = reverse("appeal-list", args=[cycle.pk])
    html = client.get(url).content.decode()
    assert "本周期自 2026年12月7日 起公示，至结果发布为止" in html
    assert "写明理由" in html and 'data-testid="file-appeal"' in html
    page = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert f'href="{url}" data-testid="review-procedure-link"' in page
    cycle = cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    html = client.get(url).content.decode()
    assert "公示期（2026年12月7日 至 2026年12月7日）已结束，结果已发布，不能再提出申诉。" in html

"""名次说明 (issue 14, item 1): what the score card, the participant page and the Excel
export say about a person's place is the SPEC §3.5 rule that was applied to them — whom
they tied with on 最终得分 and which criterion separated them, with the values; a 优秀
lost to the quota; never "ties share a rank" when they did not."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment import services as cycles
from assessment.models import Cycle
from reports.excel.export import write_results
from scoring.models import Result, ScoreEntry, Source
from scoring.results import selectors
from scoring.services import compute_cycle
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a, direct=(), pay_base=D(60000))


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def score(cycle, shares, rater):
    """{participant: (target share, org share)} on every rating leaf (self always .8).
    The seed's weights are 10 / 50 / 40: T .90 with O .80 weighs exactly as T .82 with
    O .90 (77 % of the rating points), so the finals are equal and T decides."""
    leaves = list(cycle.frozen_template.nodes.filter(method="rating", children__isnull=True))
    ScoreEntry.objects.bulk_create(
        ScoreEntry(
            participant=participant,
            leaf=leaf,
            source=source,
            rater=rater,
            value=(leaf.points * share).quantize(D("0.01")),
        )
        for participant, (t, o) in shares.items()
        for leaf in leaves
        for source, share in ((Source.SELF, D(".8")), (Source.TARGET, t), (Source.ORG, o))
    )
    cycles.mark_inputs_changed(cycle)
    return compute_cycle(cycle.pk)


@pytest.fixture
def tied(world, cycle):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    b1 = cycle.participants.get(secretary=world.secretaries["b1"])
    shares = {a1: (D(".82"), D(".90")), a2: (D(".90"), D(".80")), b1: (D(".5"), D(".5"))}
    version = score(cycle, shares, world.county_assessor_a)
    results = {p: Result.objects.get(version=version, participant=p) for p in shares}
    return {"cycle": Cycle.objects.get(pk=cycle.pk), "a1": a1, "a2": a2, "results": results}


def test_a_tie_on_final_separated_by_target_is_explained_not_called_shared(world, tied):
    """SPEC §3.5: equal finals are ordered by T; the note names the peer, the criterion
    and both values, on both sides of the tie."""
    r1, r2 = tied["results"][tied["a1"]], tied["results"][tied["a2"]]
    assert r1.final == r2.final and r1.target_total < r2.target_total
    assert (r2.rank, r1.rank) == (1, 2)
    notes = selectors.rank_notes(r1.version, tied["cycle"])
    behind, ahead = notes[r1.pk].tie, notes[r2.pk].tie
    final = selectors.number(r1.final)
    assert f"最终得分 {final} 与 1 人相同" in behind
    assert "乙书记（第 1 名）" in behind and "目标量评不及" in behind
    assert f"本人 {selectors.number(r1.target_total)}" in behind
    assert f"乙书记 {selectors.number(r2.target_total)}" in behind and "排在其后" in behind
    assert "目标量评更优" in ahead and "排在其前" in ahead
    assert "名次并列" not in behind + ahead


def test_the_score_card_and_participant_page_state_the_applied_rule(world, tied, login):
    r1 = tied["results"][tied["a1"]]
    client = login(world.county_assessor_a)
    response = client.get(reverse("result-card", args=[tied["a1"].pk]))
    rank = next(s for s in response.context["steps"] if str(s.label) == "排名")
    assert "分数相同者名次并列" not in rank.formula
    assert "依次比较目标量评" in rank.formula and "目标量评不及" in rank.formula
    assert rank.value == f"{r1.rank} / 3"
    html = response.content.decode()
    assert 'data-testid="rank-note"' in html and "乙书记（第 1 名）" in html
    html = client.get(reverse("result-detail", args=[tied["a1"].pk])).content.decode()
    assert 'data-testid="rank-note"' in html and "目标量评不及" in html


def test_an_exact_tie_says_the_rank_is_shared(world, cycle):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    version = score(cycle, {a1: (D(".8"), D(".8")), a2: (D(".8"), D(".8"))}, world.admin_a)
    r1 = Result.objects.get(version=version, participant=a1)
    note = selectors.rank_notes(version, Cycle.objects.get(pk=cycle.pk))[r1.pk]
    assert "目标量评、组织考评、实扣分均相同，名次并列" in note.tie


def test_excellent_lost_to_the_quota_is_said_in_words(world, cycle):
    """SPEC §3.5: with n = 3 and 20 %, the 优秀 quota is floor(0.6) = 0: the one above
    the line (set at 60 here) loses 优秀, and is told why."""
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    cycles.update_cycle(
        actor=None,
        cycle=Cycle.objects.get(pk=cycle.pk),
        version=Cycle.objects.get(pk=cycle.pk).version,
        threshold_excellent=D(60),
        threshold_qualified=D(2),
        threshold_basic=D(1),
    )
    score(cycle, {a1: (D("1"), D("1"))}, world.admin_a)
    cycle = Cycle.objects.get(pk=cycle.pk)
    r1 = Result.objects.current().get(participant=a1)
    version = r1.version
    assert r1.final >= cycle.threshold_excellent and r1.grade == "合格"
    note = selectors.rank_notes(version, cycle)[r1.pk]
    assert note.quota == "已达优秀线，因名额已满（第 1 名，名额 0）未评优秀"


def test_the_excel_export_has_the_note_in_a_column(world, tied):
    buffer = io.BytesIO()
    write_results(tied["cycle"], buffer)
    sheet = load_workbook(buffer)["排名"]
    headers = [c.value for c in sheet[1]]
    assert headers[-1] == "说明"
    rows = {row[1].value: row[-1].value for row in sheet.iter_rows(min_row=2)}
    assert "目标量评不及" in rows["SA1"] and "目标量评更优" in rows["SA2"]


def test_a_secretary_learns_the_rule_but_not_the_peers_name_or_scores(world, tied, login):
    cycle = cycles.transition(
        actor=None, cycle=tied["cycle"], name="start_scoring", version=tied["cycle"].version
    )
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    r2 = Result.objects.current().get(participant=tied["a2"])
    response = login(world.secretary_a1).get(reverse("result-card", args=[tied["a1"].pk]))
    html = response.content.decode()
    assert "与另一位书记相比，目标量评不及" in html
    note = html.split('data-testid="rank-note"')[1].split("</div></div>")[0]
    assert "乙书记" not in note and selectors.number(r2.target_total) not in note, note


def test_one_results_note_reads_only_its_tie_group_and_says_the_same(world, cycle):
    """A participant page asks for one note (`only`): read from that result's tie group
    alone, it is the note the whole ranking gives — for tied and untied results alike."""
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    version = score(cycle, {a1: (D(".8"), D(".8")), a2: (D(".8"), D(".8"))}, world.admin_a)
    cycle = Cycle.objects.get(pk=cycle.pk)
    everyone = selectors.rank_notes(version, cycle)
    assert len(everyone) >= 3
    for pk, note in everyone.items():
        assert selectors.rank_notes(version, cycle, only={pk}) == {pk: note}
    r1 = Result.objects.get(version=version, participant=a1)
    assert "名次并列" in everyone[r1.pk].tie

"""`manage.py seed_demo`: a fictional county, idempotent, one account per role, both
years with scores and evidence.

Seeding takes a while, so one seeded database serves the checks on what the demo
holds (`test_the_demo_holds_…`), and one more run checks idempotency and the accounts.
"""

import io
from collections import Counter

from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from assessment.models import Cycle, CycleStatus
from demo.management.commands.seed_demo import DEMO_PASSWORD
from evidence.models import (
    DiaryEntry,
    Event,
    EventStatus,
    GridEvent,
    KeyTask,
    MetricValue,
    RectificationItem,
    RectificationSource,
)
from indicators.models import IndicatorTemplate
from indicators.services import check_template
from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role
from scoring.models import (
    LeafResult,
    Result,
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from surveys.models import Ballot, PaperTally
from tests.factories import logs_in


def state():
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Secretary.objects.count(),
        Event.objects.count(),
        OrgUnit.history.count() + Secretary.history.count() + Event.history.count(),
    )


def test_the_demo_holds_a_county_two_years_of_scores_and_their_evidence(db):
    call_command("seed_demo", stdout=io.StringIO())

    # The org tree: towns, communities with grids, one secretary with an account each.
    assert OrgUnit.objects.filter(kind=OrgUnitKind.COUNTY).count() == 1
    assert OrgUnit.objects.filter(kind=OrgUnitKind.TOWN).count() >= 3
    communities = OrgUnit.objects.filter(kind=OrgUnitKind.COMMUNITY)
    assert communities.count() >= 30
    assert not communities.filter(children__isnull=True).exists()
    assert Secretary.objects.count() == communities.count()
    assert not Secretary.objects.filter(user__isnull=True).exists()
    for community in communities:
        assert community.memberships.filter(role=Role.SECRETARY).count() == 1

    # Both starting templates; 2026 open on a frozen, valid copy, everyone enrolled.
    names = set(IndicatorTemplate.objects.filter(is_frozen=False).values_list("name", flat=True))
    assert names == {"社区书记绩效考核指标（示范）", "修水县“三张考卷”"}
    this = Cycle.objects.get(year=2026)
    assert this.status == CycleStatus.OPEN
    assert this.frozen_template.is_frozen
    assert check_template(this.frozen_template).is_valid
    assert this.participants.count() == Secretary.objects.count()
    assert this.participants.filter(is_graded=False).exists()  # the recent appointments

    # 2025 published with every score; 2026 with 目标量评 for most communities, some
    # self-evaluations (not the demo secretary's) and current results.
    last = Cycle.objects.get(year=2025)
    assert last.status == CycleStatus.PUBLISHED
    pinned = ResultVersion.objects.get(cycle=last, is_current=True)
    assert pinned.is_published and pinned.results.count() == last.participants.count()
    current = ResultVersion.objects.get(cycle=this, is_current=True)
    assert current.inputs_version == this.inputs_version
    entries = ScoreEntry.objects.filter(participant__cycle=this)
    assert entries.filter(source=Source.TARGET).exists()
    assert entries.filter(source=Source.SELF).exists()
    assert not entries.filter(
        source=Source.SELF, participant__secretary__user__username="secretary"
    ).exists()
    assert not ScoreEntry.history.filter(scope_path="").exists()

    # The evidence side feeds the automatic leaves: no 缺少指标数据 or 无有效测评票 in
    # 2025, where every community has metric values, records and paper counts.
    for cycle in (last, this):
        assert MetricValue.objects.filter(cycle=cycle).count() == cycle.participants.count()
        assert PaperTally.objects.filter(cycle=cycle).exists()
    assert GridEvent.objects.exists() and DiaryEntry.objects.exists()
    assert Ballot.objects.filter(cycle=this).exists()
    assert KeyTask.objects.filter(cycle=this).count() == 2
    assert not any(
        "缺少指标数据" in w or "无有效测评票" in w
        for warnings in Result.objects.filter(version=pinned).values_list("warnings", flat=True)
        for w in warnings
    )
    survey_leaf = LeafResult.objects.filter(sheet__results__version=pinned, leaf__method="survey")
    assert not survey_leaf.filter(target_value=0).exists()
    # …so last year has 优秀 (within the quota) and one veto (越级信访).
    grades = Counter(pinned.results.values_list("grade", flat=True))
    assert 0 < grades["优秀"] <= last.participants.filter(is_graded=True).count() // 5
    assert pinned.results.filter(veto=True).count() == 1

    # The demo secretary's exempted event (approved filing) and open items carried over.
    exempt = Event.objects.get(exempt=True)
    assert exempt.participant.secretary.user.username == "secretary"
    assert exempt.filing.status == "approved" and exempt.status == EventStatus.VERIFIED
    # 改革风险备案 is filed in advance of what it covers (issue 14, item 4).
    assert timezone.localdate(exempt.filing.filed_at) <= exempt.occurred_on
    assert exempt.filing.decided_at <= exempt.exempted_at
    # The README's "What to try" holds (issue 14): the pending events were reported by
    # admin (so county verifies them), and county has submitted self-evaluations to return.
    pending = Event.objects.filter(participant__cycle=this, status=EventStatus.REPORTED)
    assert pending.exists()
    reporters = set(pending.values_list("reported_by__username", flat=True))
    assert reporters - {None} == {"admin"}  # None: raised by a key task's completion
    states = Counter(
        SelfEvaluation.objects.filter(participant__cycle=this).values_list("status", flat=True)
    )
    assert states[SelfEvaluationStatus.SUBMITTED] and states[SelfEvaluationStatus.DRAFT]
    assert not SelfEvaluation.objects.filter(
        participant__cycle=this, participant__secretary__user__username="secretary"
    ).exists()
    assert not Event.objects.filter(verified_by=F("reported_by")).exists()  # four eyes
    carried = RectificationItem.objects.filter(cycle=this, source=RectificationSource.CARRIED)
    assert carried.exists()
    assert all(item.carried_from.cycle == last for item in carried)


def test_running_it_again_changes_nothing_and_every_role_can_log_in(db, client):
    call_command("seed_demo", stdout=io.StringIO())
    before = state()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert state() == before
    assert "演示数据已存在，未作修改" in out.getvalue()
    for username, role in [
        ("admin", Role.ADMIN),
        ("county", Role.COUNTY_ASSESSOR),
        ("town", Role.TOWN_ASSESSOR),
        ("secretary", Role.SECRETARY),
        ("observer", Role.OBSERVER),
    ]:
        assert username in out.getvalue() and str(role.label) in out.getvalue()
        assert Membership.objects.filter(user__username=username, role=role).exists()
        assert logs_in(client, username, DEMO_PASSWORD), username
        client.logout()
    assert DEMO_PASSWORD in out.getvalue()

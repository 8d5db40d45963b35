"""`manage.py seed_demo`: a fictional county, idempotent, one account per role."""

import io

import pytest
from django.core.management import call_command

from assessment.management.commands.seed_demo import DEMO_PASSWORD
from assessment.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from assessment.scope import Role
from tests.factories import logs_in


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=io.StringIO())


def state():
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Secretary.objects.count(),
        OrgUnit.history.count() + User.history.count() + Secretary.history.count(),
    )


def test_the_demo_county_has_towns_communities_grids_and_secretaries(seeded):
    assert OrgUnit.objects.filter(kind=OrgUnitKind.COUNTY).count() == 1
    assert OrgUnit.objects.filter(kind=OrgUnitKind.TOWN).count() >= 3
    communities = OrgUnit.objects.filter(kind=OrgUnitKind.COMMUNITY)
    assert communities.count() >= 30
    assert not communities.filter(children__isnull=True).exists()
    assert Secretary.objects.count() == communities.count()
    assert not Secretary.objects.filter(user__isnull=True).exists()
    for community in communities:
        assert community.memberships.filter(role=Role.SECRETARY).count() == 1


def test_running_it_again_changes_nothing(seeded, capsys):
    before = state()
    call_command("seed_demo")
    assert state() == before
    assert "演示数据已存在，未作修改" in capsys.readouterr().out


def test_it_prints_one_account_per_role_that_can_log_in(db, client, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username, role in [
        ("admin", Role.ADMIN),
        ("county", Role.COUNTY_ASSESSOR),
        ("town", Role.TOWN_ASSESSOR),
        ("secretary", Role.SECRETARY),
        ("observer", Role.OBSERVER),
    ]:
        assert f"{username}" in out and str(role.label) in out
        assert Membership.objects.filter(user__username=username, role=role).exists()
        assert logs_in(client, username, DEMO_PASSWORD), username
        client.logout()
    assert DEMO_PASSWORD in out


def test_the_demo_has_both_starting_templates_and_an_open_cycle(seeded):
    from assessment.models import Cycle, CycleStatus
    from indicators.models import IndicatorTemplate
    from indicators.services import check_template

    names = set(IndicatorTemplate.objects.filter(is_frozen=False).values_list("name", flat=True))
    assert names == {"社区书记绩效考核指标（示范）", "修水县“三张考卷”"}
    cycle = Cycle.objects.get(year=2026)
    assert cycle.status == CycleStatus.OPEN
    assert cycle.frozen_template.is_frozen
    assert check_template(cycle.frozen_template).is_valid
    assert cycle.participants.count() == Secretary.objects.count()
    assert cycle.participants.filter(is_graded=False).exists()  # the recent appointments


def test_the_demo_has_last_year_published_and_this_year_scored_in_part(seeded):
    """Results to look at: 2025 published with every score, 2026 with 目标量评 for most
    communities, some self-evaluations (not the demo secretary's) and current results."""
    from assessment.models import Cycle, CycleStatus
    from scoring.models import ResultVersion, ScoreEntry, Source

    last = Cycle.objects.get(year=2025)
    assert last.status == CycleStatus.PUBLISHED
    pinned = ResultVersion.objects.get(cycle=last, is_current=True)
    assert pinned.is_published and pinned.results.count() == last.participants.count()
    this = Cycle.objects.get(year=2026)
    current = ResultVersion.objects.get(cycle=this, is_current=True)
    assert current.inputs_version == this.inputs_version
    entries = ScoreEntry.objects.filter(participant__cycle=this)
    assert entries.filter(source=Source.TARGET).exists()
    assert entries.filter(source=Source.SELF).exists()
    assert not entries.filter(
        source=Source.SELF, participant__secretary__user__username="secretary"
    ).exists()
    assert not ScoreEntry.history.filter(scope_path="").exists()

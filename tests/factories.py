"""Factories for the test world. Units are made through the service, as in the product."""

from datetime import date

import factory
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from org import services
from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User

TEST_PASSWORD = "Test-pass-2026"
# Hashed once with the real (argon2) hasher and shared, so each account costs no hashing.
_PASSWORD_HASH = None


def password_hash():
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(TEST_PASSWORD)
    return _PASSWORD_HASH


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgUnitKind.COUNTY
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_org_unit(actor=None, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.LazyFunction(password_hash)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = "admin"
    org_unit = factory.SubFactory(OrgUnitFactory)


class SecretaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Secretary

    staff_no = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"书记{n}")
    tenure_start = date(2020, 1, 1)
    user = factory.SubFactory(UserFactory)
    community = None


def logs_in(client, username, password):
    """Log in through the login page, as a person would (django-axes sees the request)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and response.url == reverse("home")


def complete_scoring(cycle, rater):
    """Setup: give every participant a 目标量评 and a 组织考评 value (80% of the points)
    on every `rating` leaf, then compute the results, so the cycle may go to 公示."""
    from decimal import Decimal

    from assessment.services import mark_inputs_changed
    from scoring.models import ScoreEntry, Source
    from scoring.services import compute_cycle

    leaves = cycle.frozen_template.nodes.filter(method="rating", children__isnull=True)
    ScoreEntry.objects.bulk_create(
        (
            ScoreEntry(
                participant=participant,
                leaf=leaf,
                source=source,
                rater=rater,
                value=(leaf.points * Decimal("0.8")).quantize(Decimal("0.01")),
            )
            for participant in cycle.participants.all()
            for leaf in leaves
            for source in (Source.TARGET, Source.ORG)
        ),
        ignore_conflicts=True,
    )
    enough_ballots(cycle, rater)
    mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)
    cycle.refresh_from_db()
    return cycle


def enough_ballots(cycle, rater):
    """Setup: every participating community without K counted ballots gets paper counts
    of K 满意 in its first survey category, keyed twice in agreement (双人录入), so its
    民主评议 is valid and the cycle may go to 公示 (SPEC §3.4 Validity)."""
    from org.models import User
    from surveys.inputs import survey_counts
    from surveys.models import PaperTally
    from surveys.tallies.services import settings_of

    category = cycle.frozen_template.survey_categories.order_by("-weight", "name").first()
    if category is None:
        return
    k = settings_of(cycle).min_group_size
    counted = {}
    for (code, _name), (satisfied, basic, unsatisfied, _unknown) in survey_counts(cycle).items():
        counted[code] = counted.get(code, 0) + satisfied + basic + unsatisfied
    second = User.objects.exclude(pk=rater.pk).order_by("pk").first()
    communities = {p.community for p in cycle.participants.select_related("community")}
    PaperTally.objects.bulk_create(
        (
            PaperTally(
                cycle=cycle,
                community=community,
                category=category,
                keyed_by=keyer,
                satisfied=k,
                basic=0,
                unsatisfied=0,
                unknown=0,
            )
            for community in communities
            if counted.get(community.code, 0) < k
            for keyer in (rater, second)
        ),
        ignore_conflicts=True,
    )


def open_seed_cycle(county, *, direct=("违建管控",), **settings):
    """The county's 2026 cycle on the seed template, every secretary enrolled, opened;
    the named rating leaves are scored directly (setup: their behaviour anchors removed,
    so they take a number)."""
    from assessment import services as cycles
    from indicators.starter import SEED_TEMPLATE, build

    # Only the seed template (most of the suite's setup time went into building both
    # starting templates for every test).
    template = build(actor=None, county=county, spec=SEED_TEMPLATE)
    cycle = cycles.create_cycle(
        actor=None, county=county, name="2026年度考核", year=2026, template=template, **settings
    )
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    for name in direct:
        cycle.frozen_template.nodes.get(name=name).bars_levels.all().delete()
    return cycle


def fresh_cycle(cycle):
    """The cycle afresh, with what a cycle just made by the services holds in memory
    (county and templates), so query counts measured on it are those of real use."""
    return (
        type(cycle).objects.select_related("county", "template", "frozen_template").get(pk=cycle.pk)
    )


def grow_county(county, n, *, towns=30, prefix="C"):
    """Setup: a city's worth of communities in `county`, made in bulk (SPEC §6: a city has
    ~3,000 secretaries): `towns` new towns sharing `n` communities, each with a secretary
    in post who has an account. Codes, staff numbers and user names start with
    `prefix`; community i is in town i % towns. Returns the secretaries, in order."""
    from org.models import OrgUnit, OrgUnitKind, Secretary, User

    made_towns = OrgUnit.objects.bulk_create(
        OrgUnit(
            code=f"{prefix}{t:02d}",
            name=f"{prefix}镇{t:02d}",
            kind=OrgUnitKind.TOWN,
            parent=county,
            path=f"{county.path}{prefix}{t:02d}/",
            depth=county.depth + 1,
        )
        for t in range(towns)
    )
    units = OrgUnit.objects.bulk_create(
        (
            OrgUnit(
                code=f"{town.code}{i:04d}",
                name=f"{town.name}社区{i:04d}",
                kind=OrgUnitKind.COMMUNITY,
                parent=town,
                path=f"{town.path}{town.code}{i:04d}/",
                depth=town.depth + 1,
            )
            for i, town in ((i, made_towns[i % towns]) for i in range(n))
        ),
        batch_size=1000,
    )
    users = User.objects.bulk_create(
        (
            User(username=f"{prefix.lower()}{i:04d}", full_name=f"书记{prefix}{i:04d}")
            for i in range(n)
        ),
        batch_size=1000,
    )
    return Secretary.objects.bulk_create(
        (
            Secretary(
                staff_no=f"{prefix}{i:04d}",
                name=f"书记{prefix}{i:04d}",
                community=unit,
                user=user,
                tenure_start=date(2020, 1, 1),
            )
            for i, (unit, user) in enumerate(zip(units, users, strict=True))
        ),
        batch_size=1000,
    )


def enrol_in_bulk(cycle, secretaries):
    """Setup: the secretaries enrolled in the cycle in one insert (graded), as
    `enrol_county` would, without its row-by-row history."""
    from assessment.models import Participant

    return Participant.objects.bulk_create(
        (Participant(cycle=cycle, secretary=s, community=s.community) for s in secretaries),
        batch_size=1000,
    )

"""The org tree, the people and the cycle of each county of the synthetic world.

Rows that only need to exist go in by `bulk_create` or COPY; what makes the data valid
goes through the product's services: the template is built by
`indicators.starter.build` (its services check every node), the cycle is created by
`assessment.services.create_cycle` and opened and moved to 评分中 by `transition`, which
checks the template and freezes the copy the cycle scores against.
"""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password

from assessment import services as cycles
from assessment.models import Cycle, Participant
from bench.data import shape
from bench.data.rows import copy_rows
from indicators import starter
from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role
from surveys.models import SurveySettings


@dataclass
class County:
    """One county's cycle and the people the measurements act as."""

    unit: OrgUnit
    cycle: Cycle
    admin: User
    target_raters: list
    org_raters: list
    load_users: list = field(default_factory=list)


def _units(county_index, scale):
    code = shape.county_code(county_index)
    county = OrgUnit.objects.create(
        code=code, name=f"基准{county_index + 1}县", kind=OrgUnitKind.COUNTY, path=f"/{code}/"
    )
    towns = OrgUnit.objects.bulk_create(
        OrgUnit(
            code=shape.town_code(code, t),
            name=f"基准{county_index + 1}县{t + 1}镇",
            kind=OrgUnitKind.TOWN,
            parent=county,
            path=f"{county.path}{shape.town_code(code, t)}/",
            depth=1,
        )
        for t in range(scale.towns)
    )
    communities = OrgUnit.objects.bulk_create(
        (
            OrgUnit(
                code=shape.community_code(town.code, c),
                name=f"{town.name}{c + 1}社区",
                kind=OrgUnitKind.COMMUNITY,
                parent=town,
                path=f"{town.path}{shape.community_code(town.code, c)}/",
                depth=2,
            )
            for town in towns
            for c in range(scale.communities)
        ),
        batch_size=5000,
    )
    copy_rows(
        OrgUnit,
        ("code", "name", "kind", "parent", "path", "depth", "version", "created_at", "updated_at"),
        (
            (
                f"{c.code}-{g + 1}",
                f"网格{g + 1}",
                OrgUnitKind.GRID.value,
                c.pk,
                f"{c.path}{c.code}-{g + 1}/",
                3,
                1,
                shape.STAMP,
                shape.STAMP,
            )
            for c in communities
            for g in range(shape.GRIDS_PER_COMMUNITY)
        ),
    )
    return county, communities


def _staff(county, password):
    """The county's admin and its 目标 and 组织 raters (county assessors)."""
    prefix = county.code.lower()
    names = [f"{prefix}-admin"] + [
        f"{prefix}-{source}{n + 1}"
        for source in ("target", "org")
        for n in range(shape.RATERS_PER_SOURCE)
    ]
    users = User.objects.bulk_create(
        User(username=name, full_name=name, password=password) for name in names
    )
    Membership.objects.bulk_create(
        Membership(user=user, role=Role.ADMIN if n == 0 else Role.COUNTY_ASSESSOR, org_unit=county)
        for n, user in enumerate(users)
    )
    raters = users[1:]
    return users[0], raters[: shape.RATERS_PER_SOURCE], raters[shape.RATERS_PER_SOURCE :]


def _secretaries(communities, password, rng):
    users = User.objects.bulk_create(
        (
            User(username=f"sj-{c.code.lower()}", full_name=f"书记{c.code}", password=password)
            for c in communities
        ),
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        (
            Membership(user=u, role=Role.SECRETARY, org_unit=c)
            for u, c in zip(users, communities, strict=True)
        ),
        batch_size=5000,
    )
    certified = [rng.random() < 0.5 for _c in communities]
    return Secretary.objects.bulk_create(
        (
            Secretary(
                staff_no=f"{c.code}S",
                name=u.full_name,
                community=c,
                user=u,
                tenure_start=date(shape.YEAR - 3, 3, 1),
                has_social_work_certificate=has,
                certificate_date=date(shape.YEAR - 2, 6, 1) if has else None,
            )
            for u, c, has in zip(users, communities, certified, strict=True)
        ),
        batch_size=5000,
    )


def _cycle(county, secretaries, rng):
    template = starter.build(actor=None, county=county, spec=shape.template_spec())
    cycle = cycles.create_cycle(
        actor=None,
        county=county,
        name=f"{shape.YEAR}年度{county.name}社区书记绩效考核",
        year=shape.YEAR,
        template=template,
    )
    # One in a hundred listed but not graded (不定等次), as every county has a few.
    graded = [rng.random() >= 0.01 for _s in secretaries]
    Participant.objects.bulk_create(
        (
            Participant(
                cycle=cycle,
                secretary=s,
                community=s.community,
                is_graded=g,
                not_graded_reason="" if g else "本年度任职不满六个月",
            )
            for s, g in zip(secretaries, graded, strict=True)
        ),
        batch_size=5000,
    )
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    SurveySettings.objects.create(cycle=cycle)
    return cycle


def build_county(index, scale, rng):
    """The county `index` with its towns, communities, grids, secretaries, staff and a
    cycle in 评分中 over all its secretaries (inputs not yet entered)."""
    password = make_password(shape.PASSWORD)
    unit, communities = _units(index, scale)
    admin, target_raters, org_raters = _staff(unit, password)
    secretaries = _secretaries(communities, password, rng)
    cycle = _cycle(unit, secretaries, rng)
    return County(unit, cycle, admin, target_raters, org_raters)


def add_load_users(counties, count):
    """`count` county assessors for the HTTP load test, spread over the counties."""
    password = make_password(shape.PASSWORD)
    users = User.objects.bulk_create(
        User(username=f"load{n + 1:03d}", full_name=f"压测{n + 1}", password=password)
        for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.COUNTY_ASSESSOR, org_unit=counties[n % len(counties)].unit)
        for n, u in enumerate(users)
    )
    for n, user in enumerate(users):
        counties[n % len(counties)].load_users.append(user)

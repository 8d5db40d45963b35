"""Foundation benchmark: do pages and scoping stay flat from a county to a city?

Builds the same kind of org tree at two sizes in a throw-away test database — a county
(4 towns × 8 communities) and a city (30 towns × 100 communities, 3,000 secretaries) —
and times the pages people open all day. What matters is the ratio city / county: with
scoping by path prefix and paginated lists it should stay near 1, not near 94 (the ratio
of communities).
"""

import statistics
import time
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role

SIZES = {"county": (4, 8), "city": (30, 100)}
REPEAT = 15


def build(label, towns, communities_per_town):
    """One county-level root with the given shape; returns the personas to measure."""
    password = make_password("Bench-pass-2026")
    root_code = label.upper()
    root = OrgUnit.objects.create(
        code=root_code, name=f"{label}根", kind=OrgUnitKind.COUNTY, path=f"/{root_code}/"
    )
    town_rows = [
        OrgUnit(
            code=f"{root_code}{t:02d}",
            name=f"{label}镇{t}",
            kind=OrgUnitKind.TOWN,
            parent=root,
            path=f"{root.path}{root_code}{t:02d}/",
            depth=1,
        )
        for t in range(towns)
    ]
    OrgUnit.objects.bulk_create(town_rows)
    town_rows = list(OrgUnit.objects.filter(parent=root).order_by("code"))
    community_rows = [
        OrgUnit(
            code=f"{town.code}{c:03d}",
            name=f"{town.name}社区{c}",
            kind=OrgUnitKind.COMMUNITY,
            parent=town,
            path=f"{town.path}{town.code}{c:03d}/",
            depth=2,
        )
        for town in town_rows
        for c in range(communities_per_town)
    ]
    OrgUnit.objects.bulk_create(community_rows, batch_size=1000)
    communities = list(
        OrgUnit.objects.filter(kind=OrgUnitKind.COMMUNITY, path__startswith=root.path)
    )
    OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                code=f"{c.code}-{g}",
                name=f"网格{g}",
                kind=OrgUnitKind.GRID,
                parent=c,
                path=f"{c.path}{c.code}-{g}/",
                depth=3,
            )
            for c in communities
            for g in range(3)
        ],
        batch_size=2000,
    )
    users = User.objects.bulk_create(
        [
            User(username=f"{c.code}-sj", full_name=f"书记{c.code}", password=password)
            for c in communities
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, role=Role.SECRETARY, org_unit=c)
            for u, c in zip(users, communities, strict=True)
        ],
        batch_size=1000,
    )
    Secretary.objects.bulk_create(
        [
            Secretary(
                staff_no=f"{c.code}S",
                name=u.full_name,
                community=c,
                user=u,
                tenure_start=date(2020, 1, 1),
            )
            for u, c in zip(users, communities, strict=True)
        ],
        batch_size=1000,
    )
    history = OrgUnit.history.model
    now = timezone.now()
    history.objects.bulk_create(
        [
            history(
                id=c.pk,
                code=c.code,
                name=c.name,
                kind=c.kind,
                parent_id=c.parent_id,
                path=c.path,
                depth=c.depth,
                version=1,
                created_at=now,
                updated_at=now,
                history_date=now,
                history_type="~",
                scope_path=c.path,
            )
            for c in communities
        ],
        batch_size=1000,
    )

    if connection.vendor == "postgresql":
        # What autovacuum would do after a bulk load: give the planner real statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def persona(role, unit):
        user = User.objects.create(username=f"{label}-{role}", password=password)
        Membership.objects.create(user=user, role=role, org_unit=unit)
        return user

    return {
        "admin": persona(Role.ADMIN, root),
        "county": persona(Role.COUNTY_ASSESSOR, root),
        "town": persona(Role.TOWN_ASSESSOR, town_rows[0]),
        "n_communities": len(communities),
    }


CASES = [
    ("home page, county assessor", "county", lambda: reverse("home")),
    ("home page, town assessor", "town", lambda: reverse("home")),
    ("org list page 1, admin", "admin", lambda: reverse("orgunit-list")),
    ("user list page 1, admin", "admin", lambda: reverse("user-list")),
    ("audit log page 1, admin", "admin", lambda: reverse("audit-log")),
    ("API secretaries page 1, county", "county", lambda: "/api/v1/secretaries/"),
]


def time_page(client, url):
    for _ in range(3):
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def time_scope_query(user):
    samples = []
    for _ in range(REPEAT):
        fresh = User.objects.get(pk=user.pk)
        start = time.perf_counter()
        list(Secretary.objects.for_user(fresh).values_list("pk", flat=True)[:50])
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def run():
    results = {}
    sizes = {}
    for label, (towns, per_town) in SIZES.items():
        personas = build(label, towns, per_town)
        sizes[label] = personas.pop("n_communities")
        clients = {}
        for name, user in personas.items():
            clients[name] = Client()
            clients[name].force_login(user)
        for title, who, url in CASES:
            results.setdefault(title, {})[label] = time_page(clients[who], url())
        results.setdefault("scope query, town assessor", {})[label] = time_scope_query(
            personas["town"]
        )
    lines = [
        f"Foundation benchmark on {connection.vendor}, median of {REPEAT} runs (ms)",
        f"county: {sizes['county']} communities; city: {sizes['city']} communities "
        f"(x{sizes['city'] / sizes['county']:.0f})",
        "",
        f"{'case':<34}{'county':>10}{'city':>10}{'city/county':>14}",
    ]
    for title, by_size in results.items():
        ratio = by_size["city"] / by_size["county"]
        lines.append(f"{title:<34}{by_size['county']:>10.1f}{by_size['city']:>10.1f}{ratio:>14.2f}")
    return "\n".join(lines)

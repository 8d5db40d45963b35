"""The test world: two counties and named personas, one per role (DESIGN §7).

    青山县 QA ─ 城关镇 QA1 ─ 城东社区 QA101 (secretary_a1) ─ 网格 QA101-1
              │           └ 城西社区 QA102 (secretary_a2)
              └ 东湖街道 QA2 ─ 东湖社区 QA201 (secretary_b1)
    外县 QB ─ 外镇 QB1 ─ 外县社区 QB101 (secretary_c1)

Personas: admin_a and county_assessor_a (county QA), town_assessor_a and observer_a
(town QA1), secretary_a1 (community QA101), outsider_b (town assessor of QA2), and
split_person (admin of county QB who also observes town QA1).
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import settings as hypothesis_settings

from org.models import OrgUnitKind
from org.scope import Role
from tests.factories import MembershipFactory, OrgUnitFactory, SecretaryFactory, UserFactory

# The real Celery worker fixture (`worker`) of the job tests.
pytest_plugins = ["tests.workers"]

# Every test process runs on the same day whatever the calendar says: the suite's cycles
# are 2026's, and "today" decides what may be entered, what counts and what is overdue.
# The clock starts at this moment and ticks from there (subprocesses the tests start,
# and the browser, keep the real clock).
SUITE_START = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def pytest_configure(config):
    # Before the test modules are imported, so their module-level dates agree.
    time_machine.travel(SUITE_START, tick=True).start()


# Property tests draw the same examples on every run, so no run fails by chance; a new
# example found while writing a test is kept with @example.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.load_profile("repeatable")


@dataclass
class World:
    county_a: object
    town_a: object
    town_b: object
    community_a1: object
    community_a2: object
    community_b1: object
    grid_a1: object
    county_b: object
    town_c: object
    community_c1: object
    admin_a: object
    county_assessor_a: object
    town_assessor_a: object
    observer_a: object
    secretary_a1: object
    outsider_b: object
    split_person: object
    secretaries: dict

    def persona(self, name):
        return getattr(self, name)

    def fresh(self):
        """The same world read again from the database, one query per model."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        secretaries = values.pop("secretaries")
        loaded = {}
        for obj in [*values.values(), *secretaries.values()]:
            loaded.setdefault(type(obj), set()).add(obj.pk)
        rows = {model: model.objects.in_bulk(pks) for model, pks in loaded.items()}
        return World(
            **{name: rows[type(obj)][obj.pk] for name, obj in values.items()},
            secretaries={key: rows[type(s)][s.pk] for key, s in secretaries.items()},
        )


def person(role, unit, username, full_name):
    user = UserFactory(username=username, full_name=full_name)
    MembershipFactory(user=user, role=role, org_unit=unit)
    return user


def secretary(community, staff_no, name, username):
    user = person(Role.SECRETARY, community, username, name)
    return SecretaryFactory(staff_no=staff_no, name=name, community=community, user=user)


def build_world():
    county_a = OrgUnitFactory(code="QA", name="青山县", kind=OrgUnitKind.COUNTY)
    town_a = OrgUnitFactory(code="QA1", name="城关镇", kind=OrgUnitKind.TOWN, parent=county_a)
    town_b = OrgUnitFactory(code="QA2", name="东湖街道", kind=OrgUnitKind.TOWN, parent=county_a)
    a1 = OrgUnitFactory(code="QA101", name="城东社区", kind=OrgUnitKind.COMMUNITY, parent=town_a)
    a2 = OrgUnitFactory(code="QA102", name="城西社区", kind=OrgUnitKind.COMMUNITY, parent=town_a)
    b1 = OrgUnitFactory(code="QA201", name="东湖社区", kind=OrgUnitKind.COMMUNITY, parent=town_b)
    grid = OrgUnitFactory(code="QA101-1", name="城东一网格", kind=OrgUnitKind.GRID, parent=a1)
    county_b = OrgUnitFactory(code="QB", name="外县", kind=OrgUnitKind.COUNTY)
    town_c = OrgUnitFactory(code="QB1", name="外镇", kind=OrgUnitKind.TOWN, parent=county_b)
    c1 = OrgUnitFactory(code="QB101", name="外县社区", kind=OrgUnitKind.COMMUNITY, parent=town_c)
    secretaries = {
        "a1": secretary(a1, "SA1", "甲书记", "sec_a1"),
        "a2": secretary(a2, "SA2", "乙书记", "sec_a2"),
        "b1": secretary(b1, "SB1", "丙书记", "sec_b1"),
        "c1": secretary(c1, "SC1", "外县书记", "sec_c1"),
    }
    split = person(Role.ADMIN, county_b, "split", "两地人员")
    MembershipFactory(user=split, role=Role.OBSERVER, org_unit=town_a)
    return World(
        county_a=county_a,
        town_a=town_a,
        town_b=town_b,
        community_a1=a1,
        community_a2=a2,
        community_b1=b1,
        grid_a1=grid,
        county_b=county_b,
        town_c=town_c,
        community_c1=c1,
        admin_a=person(Role.ADMIN, county_a, "admin_a", "管理员甲"),
        county_assessor_a=person(Role.COUNTY_ASSESSOR, county_a, "county_a", "县考核员甲"),
        town_assessor_a=person(Role.TOWN_ASSESSOR, town_a, "town_a", "镇考核员甲"),
        observer_a=person(Role.OBSERVER, town_a, "observer_a", "纪检甲"),
        secretary_a1=secretaries["a1"].user,
        outsider_b=person(Role.TOWN_ASSESSOR, town_b, "outsider_b", "东湖考核员"),
        split_person=split,
        secretaries=secretaries,
    )


@pytest.fixture
def world(request, db):
    """The test world, made for this test; or, in a module that uses `shared_world`, the
    module's one world read afresh (the test's changes are rolled back after it)."""
    if "shared_world" in request.fixturenames:
        return request.getfixturevalue("shared_world").fresh()
    return build_world()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for a whole module, made once in a transaction around the module's tests
    and rolled back after them; every test runs in a savepoint inside it, so it sees the
    world (and what the module's own module-scoped fixtures built on it, such as a
    cycle) as new. For modules without transactional tests: a module opts in with
    `pytestmark = pytest.mark.usefixtures("shared_world")`."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


PERSONAS = [
    "admin_a",
    "county_assessor_a",
    "town_assessor_a",
    "observer_a",
    "secretary_a1",
    "outsider_b",
    "split_person",
]


@pytest.fixture
def login(client):
    """Log a persona in on the test client and return the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def installed_schedules(db):
    """The periodic tasks the migrations install (django-celery-beat), as a fresh
    database holds them. A transactional test run earlier in the same process empties
    the tables the migrations filled, so the migrations' own installers run again here
    (they are idempotent); that `migrate` runs them is tests/platform/
    test_migrate_forward.py's concern."""
    from importlib import import_module

    from django.apps import apps

    for name in ("0002_bulletins", "0004_job_sweeper", "0007_backup_schedule"):
        import_module(f"reports.migrations.{name}").install_schedule(apps, None)

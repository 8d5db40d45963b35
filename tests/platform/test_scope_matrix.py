"""Scope matrix (SPEC §1, DESIGN §4): walk every URL pattern and API route; a user of
each role reaching for an object outside their scope gets 404 — or 403 for a page or a
write the role never has — and nothing changes. New routes are picked up automatically:
a route with an object in its URL fails here until its model is named in OBJECT_OF_ROUTE.
"""

import hashlib
from datetime import date

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_filters.utils import get_model_field

from assessment import services as cycles
from assessment.models import Cycle, Participant
from core.api import FilterBackend
from evidence.models import (
    Attachment,
    DiaryEntry,
    Event,
    GridEvent,
    KeyTask,
    KeyTaskAssignment,
    MetricValue,
    ProgressReport,
    RectificationItem,
    ReformFiling,
    SpotCheck,
    SpotCheckItem,
)
from indicators.models import (
    EventType,
    IndicatorNode,
    IndicatorTemplate,
    MetricDefinition,
    SurveyCategory,
)
from indicators.starter import install_starter_templates
from org.models import CommunityWorker, Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.notifications.models import Notification
from org.scope import scope_of
from reports.models import Bulletin, Job, JobKind, JobState
from scoring.models import Appeal, Result, ResultSheet, ResultVersion, ScoreEntry, Source
from surveys.models import BallotBatch, PaperTally, SurveySettings
from tests.conftest import PERSONAS
from tests.factories import OrgUnitFactory

# Browser routes whose URL names an object: which model the `pk` is.
OBJECT_OF_ROUTE = {
    "orgunit-detail": OrgUnit,
    "orgunit-edit": OrgUnit,
    "orgunit-delete": OrgUnit,
    "user-detail": User,
    "user-edit": User,
    "user-password": User,
    "user-unlock": User,
    "membership-grant": User,
    "membership-suspend": Membership,
    "membership-resume": Membership,
    "membership-revoke": Membership,
    "secretary-edit": Secretary,
    "worker-list": OrgUnit,
    "worker-add": OrgUnit,
    "worker-edit": CommunityWorker,
    "worker-delete": CommunityWorker,
    "cycle-detail": Cycle,
    "cycle-settings": Cycle,
    "cycle-transition": Cycle,
    "cycle-enrol": Cycle,
    "cycle-participant-add": Cycle,
    "participant-grading": Participant,
    "participant-withdraw": Participant,
    "ranking": Cycle,
    "result-recompute": Cycle,
    "result-preview": Cycle,
    "result-detail": Participant,
    "result-card": Participant,
    "result-override": Participant,
    "result-override-clear": Participant,
    "score-grid": Cycle,
    "score-cell": Participant,
    "incident-list": Participant,
    "incident-delete": Participant,
    "selfeval": Participant,
    "selfeval-return": Participant,
    "selfeval-list": Cycle,
    "appeal-list": Cycle,
    "appeal-create": Cycle,
    "appeal-detail": Appeal,
    "appeal-act": Appeal,
    "appeal-correct": Appeal,
    "appeal-evidence": Appeal,
    "evidence-download": Attachment,
    "evidence-remove": Attachment,
    "selfeval-evidence": Participant,
    "template-detail": IndicatorTemplate,
    "template-edition": IndicatorTemplate,
    "template-clone": IndicatorTemplate,
    "node-create": IndicatorTemplate,
    "node-update": IndicatorNode,
    "node-shift": IndicatorNode,
    "node-delete": IndicatorNode,
    "node-detail": IndicatorNode,
    "event-type-save": IndicatorTemplate,
    "event-type-delete": EventType,
    "metric-save": IndicatorTemplate,
    "metric-delete": MetricDefinition,
    "category-save": IndicatorTemplate,
    "category-delete": SurveyCategory,
    "event-list": Cycle,
    "event-create": Cycle,
    "event-bulk": Cycle,
    "event-detail": Event,
    "event-edit": Event,
    "event-act": Event,
    "filing-list": Cycle,
    "filing-create": Cycle,
    "filing-detail": ReformFiling,
    "filing-decide": ReformFiling,
    "rectification-list": Cycle,
    "rectification-create": Cycle,
    "rectification-from-events": Cycle,
    "rectification-carry-over": Cycle,
    "rectification-detail": RectificationItem,
    "rectification-edit": RectificationItem,
    "rectification-progress": RectificationItem,
    "rectification-close": RectificationItem,
    "rectification-reopen": RectificationItem,
    "keytask-list": Cycle,
    "keytask-create": Cycle,
    "keytask-board": Cycle,
    "keytask-summons": Cycle,
    "keytask-detail": KeyTask,
    "keytask-edit": KeyTask,
    "keytask-delete": KeyTask,
    "keytask-assignment-plan": KeyTaskAssignment,
    "keytask-assignment-remove": KeyTaskAssignment,
    "keytask-report": KeyTaskAssignment,
    "ballot-batch-list": Cycle,
    "ballot-batch-create": Cycle,
    "ballot-batch-detail": BallotBatch,
    "ballot-batch-status": BallotBatch,
    "ballot-batch-slips": BallotBatch,
    "ballot-batch-void": BallotBatch,
    "survey-settings": Cycle,
    "paper-tallies": Cycle,
    "paper-tally-entry": Cycle,
    "survey-return-rates": Cycle,
    "survey-results": Cycle,
    "diary-edit": DiaryEntry,
    "gridevent-detail": GridEvent,
    "gridevent-move": GridEvent,
    "metric-grid": Cycle,
    "metric-cell": Cycle,
    "metric-import": Cycle,
    "spotcheck-list": Cycle,
    "spotcheck-create": Cycle,
    "spotcheck-detail": SpotCheck,
    "spotcheck-mark": SpotCheckItem,
    "spotcheck-deduction": SpotCheckItem,
    "cycle-import": Cycle,
    "results-export": Cycle,
    "import-job": Job,
    "import-job-status": Job,
    "import-confirm": Job,
    "notification-read": Notification,
    "job-detail": Job,
    "job-output": Job,
    "bulletin-list": Cycle,
    "cycle-dashboard": Cycle,
    "pay-bands": Cycle,
    "pay-bands-xlsx": Cycle,
    "pay-bands-pdf": Cycle,
    "pay-reward-add": Cycle,
    "pay-reward-decide": Cycle,
    "bulletin-detail": Bulletin,
    "bulletin-requirements": Bulletin,
    "bulletin-issue": Bulletin,
    "bulletin-xlsx": Bulletin,
    "bulletin-pdf": Bulletin,
    # API routes whose pk is not their serializer's model.
    "api:surveysettings-detail": Cycle,
}

# Routes anyone may open without logging in (the ballot pages: survey respondents have
# no account, SPEC §1).
PUBLIC_ROUTES = {
    "login",
    "healthz",
    "set_language",
    "ballot-code",
    "ballot",
    "ballot-cast",
    "ballot-thanks",
    "api:ballot-list",
    "api:ballot-detail",
}
PUBLIC_PREFIXES = ("admin:",)  # Django admin: its own login, superusers only
# Routes without an object that answer a file, not a page (their own tests open it).
FILE_ROUTES = {"import-template"}
# Routes without an object for whole-system scope only (a superuser): to every persona
# they do not exist.
GLOBAL_SCOPE_ROUTES = {"job-backup"}

# Where, for each persona, the nearest out-of-scope part of the tree is.
FOREIGN = {
    "admin_a": "c1",
    "county_assessor_a": "c1",
    "town_assessor_a": "b1",
    "observer_a": "b1",
    "secretary_a1": "a2",
    "outsider_b": "a1",
    "split_person": "b1",
}


def walk(patterns=None, prefix=""):
    """(route name, kwarg names, view callback) for every named URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else prefix
            yield from walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, sorted(entry.pattern.regex.groupindex), entry.callback


def object_routes():
    routes = []
    for name, kwargs, callback in walk():
        if "pk" not in kwargs or name.startswith("admin:"):
            continue
        viewset = getattr(callback, "cls", None)
        if name in OBJECT_OF_ROUTE:
            model = OBJECT_OF_ROUTE[name]
        elif viewset is not None:  # DRF viewset: the model is the serializer's
            model = viewset.serializer_class.Meta.model
        else:
            assert name in OBJECT_OF_ROUTE, (
                f"route {name!r} names an object: add its model to OBJECT_OF_ROUTE"
            )
            model = OBJECT_OF_ROUTE[name]
        routes.append((name, kwargs, callback, model))
    return routes


def expected_statuses(callback, user, method):
    """404 for an object out of scope; 403 where the role never has the page or the
    write at all; 405 where the route does not offer the method."""
    viewset = getattr(callback, "cls", None)
    if viewset is not None:
        denied = any(
            not p().has_permission(_FakeRequest(user, method), None)
            for p in viewset.permission_classes
        )
        return {403, 405} if denied else {404, 405}
    view_class = callback.view_class
    roles = getattr(view_class, "roles", None)
    gated = method not in getattr(view_class, "open_methods", ())
    if roles and gated and not scope_of(user).has_role(*roles):
        return {403, 405}
    return {404, 405}


class _FakeRequest:
    def __init__(self, user, method):
        self.user, self.method = user, method.upper()


@pytest.fixture
def world(world):
    """The test world with cycles outside each persona's scope (made before any test
    takes its fingerprint of the database)."""
    add_foreign_cycles(world)
    return world


def add_foreign_cycles(world):
    """County QB's cycle is foreign to everyone but the split person, who administers
    QB: theirs is a third county's cycle, and their foreign participant is town QA2's
    secretary in a county QA cycle (they observe only town QA1)."""
    qb = cycles.create_cycle(actor=None, county=world.county_b, name="外县年度考核", year=2026)
    cycles.enrol_county(actor=None, cycle=qb)
    qa = cycles.create_cycle(actor=None, county=world.county_a, name="本县年度考核", year=2026)
    cycles.enrol_county(actor=None, cycle=qa)
    third = OrgUnitFactory(code="QZ", name="第三县", kind=OrgUnitKind.COUNTY)
    qz = cycles.create_cycle(actor=None, county=third, name="第三县年度考核", year=2026)
    world.foreign_cycles = dict.fromkeys(PERSONAS, qb) | {"split_person": qz}
    # Templates are county-wide too: county QB's for everyone, the third county's for
    # the split person.
    qb_template = install_starter_templates(actor=None, county=world.county_b)[0]
    qz_template = install_starter_templates(actor=None, county=third)[0]
    world.foreign_templates = dict.fromkeys(PERSONAS, qb_template) | {"split_person": qz_template}
    world.foreign_participants = dict.fromkeys(PERSONAS, qb.participants.get()) | {
        "split_person": qa.participants.get(secretary=world.secretaries["b1"])
    }
    world.foreign_appeals = {
        persona: Appeal.objects.get_or_create(
            participant=participant,
            defaults={"reasons": "对组织考评有异议", "filed_by": participant.secretary.user},
        )[0]
        for persona, participant in world.foreign_participants.items()
    }
    add_foreign_results(world)
    add_foreign_evidence(world)
    add_foreign_jobs(world)
    add_foreign_bulletins(world)
    add_foreign_notifications(world)


def add_foreign_results(world):
    """A score entry, a result version, a result and an evidence file (a row naming a
    file that need not exist: the scope check answers first) for each foreign
    participant."""
    world.foreign_entries, world.foreign_results, world.foreign_attachments = {}, {}, {}
    for persona, participant in world.foreign_participants.items():
        leaf = world.foreign_templates[persona].nodes.filter(children__isnull=True).first()
        world.foreign_entries[persona] = ScoreEntry.objects.get_or_create(
            participant=participant,
            leaf=leaf,
            source=Source.TARGET,
            rater=world.admin_a,
            defaults={"value": 1},
        )[0]
        version = ResultVersion.objects.get_or_create(
            cycle=participant.cycle, is_current=True, defaults={"inputs_version": 0}
        )[0]
        zero = dict.fromkeys(
            ["self_total", "target_total", "org_total", "composite", "bonus", "final", "taken"],
            0,
        )
        world.foreign_results[persona] = Result.objects.get_or_create(
            version=version,
            participant=participant,
            defaults={
                "sheet": lambda p=participant: ResultSheet.objects.create(participant=p),
                "graded": True,
                "veto": False,
                "grade": "合格",
                "rule_grade": "合格",
                **zero,
            },
        )[0]
        world.foreign_attachments[persona] = Attachment.objects.get_or_create(
            participant=participant,
            appeal=world.foreign_appeals[persona],
            defaults={
                "file": f"evidence/2026/{participant.pk:032x}",
                "original_name": "会议记录.pdf",
                "content_type": "application/pdf",
                "size": 1,
                "sha256": "0" * 64,
                "uploaded_by": participant.secretary.user,
            },
        )[0]


def add_foreign_evidence(world):
    """One row of each evidence-side model (issue 6) about each foreign participant or
    their community: an event under a filing, a metric value, diary and grid records, a
    record check with its item, a key task with an assignment and a progress report, a
    rectification item, a ballot batch and a paper tally."""
    world.foreign_evidence, made = {}, {}
    for persona, participant in world.foreign_participants.items():
        if participant.pk in made:
            world.foreign_evidence[persona] = made[participant.pk]
            continue
        cycle, community = participant.cycle, participant.community
        template = world.foreign_templates[persona]
        author = participant.secretary.user
        filing = ReformFiling.objects.create(
            participant=participant, title="试点", description="举措", risks="风险", filed_by=author
        )
        event_type = template.event_types.first()
        # The split person reads county QA's cycles (they observe town QA1): their foreign
        # task lies in the third county's cycle; the assignment in QA's, for town QA2.
        foreign_task = KeyTask.objects.create(
            cycle=world.foreign_cycles[persona], title="外部任务", deadline=date(2026, 12, 31)
        )
        task = KeyTask.objects.create(cycle=cycle, title="外部任务", deadline=date(2026, 12, 31))
        assignment = KeyTaskAssignment.objects.create(task=task, community=community)
        category = template.survey_categories.first()
        diary = DiaryEntry.objects.create(
            community=community,
            recorded_on=date(2026, 3, 1),
            category="other",
            content="外部民情",
            author=author,
        )
        # Finished, so that even the foreign community's own secretary would see it.
        check = SpotCheck.objects.create(
            cycle=cycle,
            community=community,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            share=10,
            minimum=3,
            population=[f"diary:{diary.pk}"],
            seed=1,
            drawn_by=author,
            finished_at=timezone.now(),
        )
        world.foreign_evidence[persona] = {
            ReformFiling: filing,
            Event: Event.objects.create(
                participant=participant,
                event_type=event_type,
                occurred_on=date(2026, 3, 1),
                description="外部事项",
                reported_by=author,
            ),
            MetricValue: MetricValue.objects.create(
                cycle=cycle, community=community, key="service_coverage", value=1
            ),
            DiaryEntry: diary,
            SpotCheck: check,
            SpotCheckItem: SpotCheckItem.objects.create(
                spot_check=check, position=1, diary_entry=diary, verdict="confirmed"
            ),
            GridEvent: GridEvent.objects.create(
                community=community,
                reported_on=date(2026, 3, 1),
                category="other",
                description="外部网格事件",
                reported_by=author,
            ),
            KeyTask: foreign_task,
            KeyTaskAssignment: assignment,
            ProgressReport: ProgressReport.objects.create(
                assignment=assignment, reported_on=date(2026, 3, 1), progress=10, reported_by=author
            ),
            RectificationItem: RectificationItem.objects.create(
                cycle=cycle,
                community=community,
                participant=participant,
                source="other",
                problem="外部问题",
                owner="外部",
                deadline=date(2026, 12, 31),
            ),
            BallotBatch: BallotBatch.objects.create(
                cycle=cycle, community=community, category=category, size=1
            ),
            PaperTally: PaperTally.objects.create(
                cycle=cycle, community=community, category=category, keyed_by=author
            ),
            SurveySettings: SurveySettings.objects.get_or_create(cycle=cycle)[0],
            CommunityWorker: CommunityWorker.objects.create(
                community=community, name="外部社工", started_on=date(2020, 1, 1)
            ),
        }
        made[participant.pk] = world.foreign_evidence[persona]


def add_foreign_jobs(world):
    """A clean import preview of each foreign cycle, asked for by someone there."""
    world.foreign_jobs = {
        persona: Job.objects.create(
            kind=JobKind.IMPORT_PREVIEW,
            county=cycle.county,
            cycle=cycle,
            requested_by=world.secretaries["c1"].user,
            state=JobState.DONE,
            options={"only": ["评分"], "cycle": cycle.pk},
            result={"changes": {"评分": {"created": 1}}},
        )
        for persona, cycle in world.foreign_cycles.items()
    }


def add_foreign_bulletins(world):
    """A draft and nothing else of each foreign cycle: what a reader there could open."""
    world.foreign_bulletins = {
        persona: Bulletin.objects.get_or_create(
            cycle=cycle, quarter=1, revision=1, defaults={"cutoff": date(2026, 3, 31)}
        )[0]
        for persona, cycle in world.foreign_cycles.items()
    }


def add_foreign_notifications(world):
    """Somebody else's notification: only its recipient may mark it read."""
    theirs = Notification.objects.create(
        recipient=world.secretaries["c1"].user, kind="job_finished", title="别人的通知"
    )
    world.foreign_notifications = dict.fromkeys(PERSONAS, theirs)


def foreign_object(world, persona, model):
    secretary = world.secretaries[FOREIGN[persona]]
    template = world.foreign_templates[persona]
    return {
        OrgUnit: secretary.community,
        User: secretary.user,
        Membership: secretary.user.memberships.get(),
        Secretary: secretary,
        Cycle: world.foreign_cycles[persona],
        Participant: world.foreign_participants[persona],
        Appeal: world.foreign_appeals[persona],
        ScoreEntry: world.foreign_entries[persona],
        Result: world.foreign_results[persona],
        Attachment: world.foreign_attachments[persona],
        Job: world.foreign_jobs[persona],
        Bulletin: world.foreign_bulletins[persona],
        Notification: world.foreign_notifications[persona],
        ResultVersion: world.foreign_results[persona].version,
        IndicatorTemplate: template,
        IndicatorNode: template.nodes.first(),
        EventType: template.event_types.first(),
        MetricDefinition: template.metrics.first(),
        SurveyCategory: template.survey_categories.first(),
        **world.foreign_evidence[persona],
    }[model]


def database_state():
    """A fingerprint of every row of the project's tables, audit tables included, so an
    in-place update shows as well as an insert or delete."""
    ours = (
        "org",
        "indicators",
        "assessment",
        "scoring",
        "evidence",
        "surveys",
        "reports",
        "authtoken",
    )
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.app_label in ours:
            rows = model._base_manager.order_by("pk").values_list()
            digest.update(f"{model._meta.label}{list(rows)!r}".encode())
    return digest.hexdigest()


def url_for(name, kwargs, pk):
    values = {"pk": pk}
    if "format" in kwargs:
        values["format"] = "json"
    return reverse(name, kwargs=values)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_object_route_answers_404_outside_scope_and_changes_nothing(world, client, persona):
    user = world.persona(persona)
    client.force_login(user)
    before = database_state()
    checked = 0
    for name, kwargs, callback, model in object_routes():
        obj = foreign_object(world, persona, model)
        url = url_for(name, kwargs, obj.pk)
        is_api = name.startswith("api:")
        methods = ["get", "post", "put", "patch", "delete"] if is_api else ["get", "post"]
        for method in methods:
            body = {"name": "被篡改", "is_active": "on", "role": "admin", "version": 1}
            if method == "get":
                response = client.get(url)
            elif is_api:
                response = getattr(client, method)(
                    url, body, content_type="application/json", HTTP_IF_MATCH='"1"'
                )
            else:
                response = client.post(url, body)
            allowed = expected_statuses(callback, user, method)
            assert response.status_code in allowed, (
                f"{persona} {method.upper()} {url} ({name}) → {response.status_code}, "
                f"expected one of {sorted(allowed)}"
            )
            checked += 1
    assert checked > 20
    assert database_state() == before


def test_whole_system_routes_answer_404_to_every_persona_and_change_nothing(world, client):
    for persona in PERSONAS:
        client.force_login(world.persona(persona))
        before = database_state()
        for name in GLOBAL_SCOPE_ROUTES:
            response = client.post(reverse(name))
            assert response.status_code == 404, f"{persona} POST {name} → {response.status_code}"
        assert database_state() == before, persona


ADMIN_ROUTES_ON_PEOPLE = [
    "user-detail",
    "user-edit",
    "user-password",
    "user-unlock",
    "membership-grant",
]


@pytest.mark.parametrize("persona", ["county_assessor_a", "observer_a", "town_assessor_a"])
def test_roles_without_admin_rights_get_403_on_admin_routes_even_in_scope(world, client, persona):
    client.force_login(world.persona(persona))
    inside = world.secretaries["a1"]
    before = database_state()
    for name in ADMIN_ROUTES_ON_PEOPLE:
        url = reverse(name, args=[inside.user.pk])
        assert client.post(url, {"full_name": "改", "version": 1}).status_code == 403, name
    for name in ("membership-suspend", "membership-revoke"):
        url = reverse(name, args=[inside.user.memberships.get().pk])
        assert client.post(url, {"version": 1}).status_code == 403, name
    unit = world.community_a1
    assert client.post(reverse("orgunit-edit", args=[unit.pk]), {"name": "改"}).status_code == 403
    api = f"/api/v1/org-units/{unit.pk}/"
    assert (
        client.patch(
            api, {"name": "改"}, content_type="application/json", HTTP_IF_MATCH='"1"'
        ).status_code
        == 403
    )
    assert client.delete(api, HTTP_IF_MATCH='"1"').status_code == 403
    assert database_state() == before


def test_an_admin_elsewhere_who_observes_here_cannot_manage_people_here(world, client):
    """The split person is admin of county QB and observer of town QA1: they read QA1
    but manage nobody there (404, as if the account did not exist to them)."""
    client.force_login(world.split_person)
    before = database_state()
    inside = world.secretaries["a1"]
    assert client.get(reverse("orgunit-detail", args=[world.community_a1.pk])).status_code == 200
    assert client.get(reverse("user-detail", args=[inside.user.pk])).status_code == 404
    for name in ADMIN_ROUTES_ON_PEOPLE[1:]:
        response = client.post(reverse(name, args=[inside.user.pk]), {"version": 1})
        assert response.status_code == 404, name
    assert database_state() == before


# 核查 (record checks) in scope: who reaches each route for an unfinished check of
# community A1 (GET list, GET draw page, GET the check, POST a deduction — refused with
# a message, the record is not 不实 —, POST a mark). The check stays unknown to A1's
# secretary until it is finished; observers read; a town assessor of another town draws
# for their own town only; the split person (admin elsewhere, observer here) reads it
# but checks nothing here.
SPOT_CHECK_ACCESS = {
    "admin_a": (200, 200, 200, 302, 302),
    "county_assessor_a": (200, 200, 200, 302, 302),
    "town_assessor_a": (200, 200, 200, 302, 302),
    "observer_a": (200, 403, 200, 403, 403),
    "secretary_a1": (200, 403, 404, 403, 403),
    "outsider_b": (200, 200, 404, 404, 404),
    "split_person": (200, 404, 200, 403, 403),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reaches_the_record_check_routes_in_scope(world, client, persona):
    cycle = Cycle.objects.get(name="本县年度考核")
    Cycle.objects.filter(pk=cycle.pk).update(status="open")
    diary = DiaryEntry.objects.create(
        community=world.community_a1,
        recorded_on=date(2026, 3, 1),
        category="other",
        content="民情",
        author=world.secretary_a1,
    )
    check = SpotCheck.objects.create(
        cycle=cycle,
        community=world.community_a1,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        share=10,
        minimum=3,
        population=[f"diary:{diary.pk}"],
        seed=1,
        drawn_by=world.county_assessor_a,
    )
    item = SpotCheckItem.objects.create(spot_check=check, position=1, diary_entry=diary)
    client.force_login(world.persona(persona))
    reached = (
        client.get(reverse("spotcheck-list", args=[cycle.pk])).status_code,
        client.get(reverse("spotcheck-create", args=[cycle.pk])).status_code,
        client.get(reverse("spotcheck-detail", args=[check.pk])).status_code,
        client.post(reverse("spotcheck-deduction", args=[item.pk]), {"version": 1}).status_code,
        client.post(
            reverse("spotcheck-mark", args=[item.pk]), {"verdict": "confirmed", "version": 1}
        ).status_code,
    )
    assert reached == SPOT_CHECK_ACCESS[persona]
    item.refresh_from_db()
    assert (item.verdict == "confirmed") == (reached[4] == 302)
    assert item.deduction_event is None


MARKERS = {
    "c1": ["外县社区", "外县书记", "sec_c1", "QB101"],
    "b1": ["东湖社区", "丙书记", "sec_b1", "QA201"],
    "a2": ["城西社区", "乙书记", "sec_a2", "QA102"],
    "a1": ["城东社区", "甲书记", "sec_a1", "QA101"],
}


def list_routes():
    for name, kwargs, _callback in walk():
        if kwargs and kwargs != ["format"]:
            continue
        if name.startswith("admin:") or name in PUBLIC_ROUTES or name == "logout":
            continue
        yield name, kwargs


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_pages_and_api_lists_never_show_what_is_outside_scope(world, client, persona):
    client.force_login(world.persona(persona))
    markers = MARKERS[FOREIGN[persona]]
    before = database_state()
    for name, kwargs in list_routes():
        url = reverse(name, kwargs={"format": "json"} if kwargs else None)
        response = client.get(url)
        # 400: a list that needs a filter (survey results of one cycle); 405: a
        # collection action that only takes POST (e.g. bulk verification).
        allowed = (200, 400, 403, 405)
        assert response.status_code in allowed, f"{persona} GET {url} → {response.status_code}"
        if response.status_code == 200 and name not in FILE_ROUTES:
            text = response.content.decode()
            for marker in markers:
                assert marker not in text, f"{persona} sees {marker!r} on {url}"
    assert database_state() == before


def test_anonymous_visitors_are_sent_to_login_everywhere(world, client):
    for name, kwargs, _callback in walk():
        if name in PUBLIC_ROUTES or name.startswith(PUBLIC_PREFIXES) or name == "logout":
            continue
        values = {}
        if "pk" in kwargs:
            values["pk"] = world.community_a1.pk
        if "format" in kwargs:
            values["format"] = "json"
        url = reverse(name, kwargs=values or None)
        response = client.get(url)
        if name.startswith("api"):
            assert response.status_code in (401, 403), f"{url} → {response.status_code}"
        else:
            assert response.status_code == 302, f"{url} → {response.status_code}"
            assert response.url.startswith(reverse("login"))


def id_filters():
    """(API list route, query parameter, model it names) for every filter of an API list
    that takes the id of a related object, found from the viewsets' FilterSets; and the
    survey results' required `cycle`, which no FilterSet handles."""
    backend = FilterBackend()
    for name, _kwargs, callback in walk():
        viewset = getattr(callback, "cls", None)
        if not name.startswith("api:") or getattr(callback, "actions", {}).get("get") != "list":
            continue
        if name == "api:surveyresult-list":
            yield name, "cycle", Cycle
            continue
        model = viewset.serializer_class.Meta.model
        filterset = backend.get_filterset_class(viewset, model.objects.none())
        for param, spec in (filterset.base_filters if filterset else {}).items():
            field = get_model_field(filterset._meta.model, spec.field_name)
            if field is not None and field.is_relation:
                yield name, param, field.related_model


def test_an_id_filter_answers_an_unknown_id_as_one_outside_scope(world, client):
    """DESIGN §4: no answer tells whether an object outside scope exists — an id filter
    naming one answers exactly as for an id no object has (an empty list); only a value
    that is no id at all is refused. (The filters do not depend on the role: one persona
    serves.)"""
    persona = "secretary_a1"
    client.force_login(world.persona(persona))
    checked = 0
    for name, param, model in id_filters():
        url = reverse(name)
        outside = client.get(url, {param: foreign_object(world, persona, model).pk})
        unknown = client.get(url, {param: model.objects.aggregate(Max("pk"))["pk__max"] + 1000})
        where = f"{persona} GET {url}?{param}="
        assert (unknown.status_code, unknown.content) == (outside.status_code, outside.content), (
            f"{where}: unknown id → {unknown.status_code}, id outside scope → {outside.status_code}"
        )
        if name != "api:surveyresult-list":
            assert outside.status_code == 200 and outside.json()["count"] == 0, where
            assert client.get(url, {param: "abc"}).status_code == 400, where
        checked += 1
    assert checked > 30


# A body every If-Match write takes (unknown keys are ignored), so that a caller who may
# make the write gets past the body's checks; routes with a choice of action name one.
WRITE_BODY = {"reason": "理由", "note": "说明", "text": "理由", "measures": "措施"}
WRITE_BODY_OF_ROUTE = {
    "api:appeal-decide": {"action": "accept"},
    "api:gridevent-transition": {"action": "handle"},
    "api:cycle-transition": {"name": "start_scoring"},
    "api:rectificationitem-close": {"closure_note": "已整改"},
}


def if_match_writes(client):
    """(method, path with `{id}`) of every API write whose schema asks for If-Match."""
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if "If-Match" in headers:
                yield method, path


def town_b_records(world):
    """County QA's cycle and the records of community QA201 (town QA2) that
    `add_foreign_cycles` made, as the split person's foreign ones."""
    participant = world.foreign_participants["split_person"]
    evidence = world.foreign_evidence["split_person"]
    return {
        **evidence,
        OrgUnit: participant.community,
        Cycle: participant.cycle,
        Participant: participant,
        Appeal: world.foreign_appeals["split_person"],
        ScoreEntry: world.foreign_entries["split_person"],
        KeyTask: evidence[KeyTaskAssignment].task,
    }


def undone_write(client, method, url, body, **headers):
    """The answer to a write, whose changes (if it succeeds) are rolled back."""
    with transaction.atomic():
        response = getattr(client, method)(url, body, content_type="application/json", **headers)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("persona", ["secretary_b1", "split_person"])
def test_a_role_that_may_not_write_is_refused_alike_with_or_without_if_match(
    world, client, persona
):
    """DESIGN §4 × RFC 9110 §13.2.1: the role is checked before the precondition. A
    caller who reads a record but whose role may not make the write gets the same 403
    (or 404) without If-Match, or with a stale one, as with the record's ETag — never the
    428/412 that would tell them about its version. Here: the secretary of QA201 on their
    own community's records, and the split person (observer in county QA, admin
    elsewhere) on county QA's."""
    user = world.secretaries["b1"].user if persona == "secretary_b1" else world.split_person
    client.force_login(user)
    records = town_b_records(world)
    before = database_state()
    refused = 0
    for method, path in if_match_writes(client):
        route = resolve(path.replace("{id}", "1")).view_name
        viewset = resolve(path.replace("{id}", "1")).func.cls
        record = records.get(OBJECT_OF_ROUTE.get(route) or viewset.serializer_class.Meta.model)
        if record is None:
            continue  # a record of county QA's templates or accounts: admins' and editors'
        read = client.get(path[: path.index("{id}/") + 5].replace("{id}", str(record.pk)))
        if read.status_code != 200:
            continue  # outside the caller's scope: the walks above check those
        url = path.replace("{id}", str(record.pk))
        body = WRITE_BODY_OF_ROUTE.get(route, WRITE_BODY)
        with_etag = undone_write(client, method, url, body, HTTP_IF_MATCH=read["ETag"])
        if with_etag.status_code not in (403, 404):
            continue  # the role may make this write
        answer = (with_etag.status_code, with_etag.content)
        for headers in ({}, {"HTTP_IF_MATCH": '"999"'}):
            other = undone_write(client, method, url, body, **headers)
            assert (other.status_code, other.content) == answer, (
                f"{persona} {method.upper()} {url} ({route}) {headers or 'no If-Match'} → "
                f"{other.status_code}; with its ETag → {with_etag.status_code}"
            )
        refused += 1
    assert refused >= (15 if persona == "secretary_b1" else 2)
    assert database_state() == before

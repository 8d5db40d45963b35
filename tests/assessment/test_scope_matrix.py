"""Scope matrix (SPEC §1, DESIGN §4): walk every URL pattern and API route; a user of
each role reaching for an object outside their scope gets 404 (or 403 for a page the role
never has) and nothing changes. New routes are picked up automatically: a route with an
object in its URL fails here until its model is named in OBJECT_OF_ROUTE.
"""

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessment.models import Membership, OrgUnit, Secretary, User
from tests.conftest import PERSONAS

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
}

# Routes anyone may open without logging in.
PUBLIC_ROUTES = {"login", "healthz", "set_language"}
PUBLIC_PREFIXES = ("admin:",)  # Django admin: its own login, superusers only

# Where, for each persona, the nearest out-of-scope part of the tree is.
FOREIGN = {
    "admin_a": "c1",
    "county_assessor_a": "c1",
    "town_assessor_a": "b1",
    "observer_a": "b1",
    "secretary_a1": "a2",
    "outsider_b": "a1",
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
        if "pk" not in kwargs:
            continue
        if name.startswith("admin:"):
            continue
        view_class = getattr(callback, "cls", None)
        if view_class is not None:  # DRF viewset: the model is the serializer's
            model = view_class.serializer_class.Meta.model
        else:
            assert name in OBJECT_OF_ROUTE, (
                f"route {name!r} names an object: add its model to OBJECT_OF_ROUTE"
            )
            model = OBJECT_OF_ROUTE[name]
        routes.append((name, kwargs, model))
    return routes


def foreign_object(world, persona, model):
    secretary = world.secretaries[FOREIGN[persona]]
    return {
        OrgUnit: secretary.community,
        User: secretary.user,
        Membership: secretary.user.memberships.get(),
        Secretary: secretary,
    }[model]


def database_state():
    """Row counts of every model of the project's apps, audit tables included."""
    ours = ("assessment", "indicators", "scoring", "surveys", "reports", "authtoken")
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in ours
    }


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
    for name, kwargs, model in object_routes():
        obj = foreign_object(world, persona, model)
        url = url_for(name, kwargs, obj.pk)
        is_api = name.startswith("api:")
        methods = ["get", "post", "put", "patch", "delete"] if is_api else ["get", "post"]
        for method in methods:
            extra = {"HTTP_IF_MATCH": '"1"'} if is_api else {}
            body = {"name": "被篡改", "is_active": "on", "role": "admin", "version": 1}
            if method == "get":
                response = client.get(url)
            elif is_api:
                response = getattr(client, method)(
                    url, body, content_type="application/json", **extra
                )
            else:
                response = client.post(url, body)
            assert response.status_code in (403, 404, 405), (
                f"{persona} {method.upper()} {url} ({name}) → {response.status_code}"
            )
            checked += 1
    assert checked > 20
    assert database_state() == before


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
        assert response.status_code in (200, 403), f"{persona} GET {url} → {response.status_code}"
        if response.status_code == 200:
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

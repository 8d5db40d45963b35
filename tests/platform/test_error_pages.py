"""The demo tells no lies (issue 14): with DEBUG on, as `make run` starts it, a page not
found is the product's own Chinese page — not Django's debug page listing every route —
and a refusal the product's 403; the API keeps answering JSON."""

import pytest
from django.test import override_settings
from django.urls import reverse


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_with_debug_on_a_missing_page_is_the_products_own(world, login):
    client = login(world.secretary_a1)
    for url in ("/no-such-page/", reverse("cycle-detail", args=[987654])):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404
        assert "页面不存在" in html and "URLconf" not in html and "Page not found" not in html
    response = client.get(reverse("user-list"))
    assert response.status_code == 403 and "URLconf" not in response.content.decode()
    api = client.get("/api/v1/cycles/987654/")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_an_api_path_no_route_matches_answers_the_apis_json_404(world, client, settings, debug):
    """The schema documents a JSON 404 for every operation on a record: an id that is no
    number (`1.5`: the route takes none) or a misspelt collection answers it too."""
    settings.DEBUG = debug
    client.force_login(world.admin_a)
    for url in ("/api/v1/cycles/1.5/", "/api/v1/cycles/1.5/blockers/", "/api/v1/no-such-list/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": "不存在，或不在您的管理范围内。"}, url
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()

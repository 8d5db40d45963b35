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

"""The product's own error pages in every mode.

With DEBUG on (`make run`, the demo), Django answers a page not found with its technical
page, which lists every route of the site. People trying the demo see the product's own
Chinese 404 page instead; the API keeps its JSON answers.
"""

from django.conf import settings
from django.shortcuts import render


class ProductNotFoundPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return render(request, "404.html", status=404)
        return response

"""The product's own middleware: answers to someone signed in are private
(`PrivateAnswersMiddleware`), and its own error pages in every mode.

With DEBUG on (`make run`, the demo), Django answers a page not found with its technical
page, which lists every route of the site. People trying the demo see the product's own
Chinese 404 page instead; the API keeps its JSON answers.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from core.errors import api_not_found


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
            if request.path.startswith("/api/") and request.resolver_match is None:
                return api_not_found()  # no route: as without DEBUG (core.errors)
            return render(request, "404.html", status=404)
        return response


class PrivateAnswersMiddleware:
    """Whatever is answered to someone signed in — a page, an htmx fragment, an API answer
    to a session or a token — is theirs alone: `Cache-Control: private, no-store`, so no
    shared proxy keeps it and the browser does not bring it back from its cache (the back
    button after signing out, another person at the same computer). A view that says
    otherwise keeps what it said. Anonymous answers (the login page, the residents'
    ballot pages: those say `never_cache` themselves) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Read after the view: the API's token authentication sets the user there.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response

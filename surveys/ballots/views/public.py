"""The respondents' ballot pages (民主评议, SPEC §1 评议人): open a ballot from the slip's QR
link or typed code and answer it without an account (under /b/). Rules live in
`surveys.ballots.services`.

A ballot link's path is its token, so refusals are kept out of the request log (Django
logs every 4xx with its path) and the security log names their URL pattern instead."""

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from core.client_ip import client_ip
from core.security_log import keep_path_secret
from surveys.ballots import services as ballots
from surveys.ballots import tokens
from surveys.models import Choice

# Typed codes that open nothing, per client address, before the code pages refuse for a
# while. Generous, because a whole neighbourhood may share one carrier-grade NAT address;
# a 128-bit token cannot be guessed anyway, this only stops a flood.
GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 15 * 60
REFUSAL_STATUS = {"unknown": 404, "used": 410, "void": 410, "closed": 410, "throttled": 429}


def _unlogged(response):
    response._has_been_logged = True
    return keep_path_secret(response)


def _guess_key(request):
    return f"surveys:ballot-guesses:{client_ip(request)}"


def _throttled(request):
    return cache.get(_guess_key(request), 0) >= GUESS_LIMIT


def _count_guess(request):
    key = _guess_key(request)
    cache.add(key, 0, GUESS_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, GUESS_WINDOW_SECONDS)


def _refusal(request, reason, message):
    if reason == "unknown":
        _count_guess(request)
    response = render(
        request,
        "surveys/ballot_refused.html",
        {"reason": reason, "message": message},
        status=REFUSAL_STATUS[reason],
    )
    return _unlogged(response)


def _too_many(request):
    return _refusal(
        request,
        "throttled",
        _("尝试次数过多，请 %(minutes)d 分钟后再试，或向发放评议票的工作人员求助。")
        % {"minutes": GUESS_WINDOW_SECONDS // 60},
    )


@method_decorator(never_cache, name="dispatch")
class BallotCodeView(View):
    """/b/: type the code printed on the slip."""

    def get(self, request):
        return render(request, "surveys/ballot_code.html", {})

    def post(self, request):
        if _throttled(request):
            return _too_many(request)
        code = request.POST.get("code", "")
        try:
            ballots.open_ballot(code)
        except ballots.TokenRefused as refused:
            if refused.reason == "unknown":
                _count_guess(request)
                return render(
                    request,
                    "surveys/ballot_code.html",
                    {"error": refused.message, "code": code},
                    status=400,
                )
        return redirect("ballot", code=tokens.encode(tokens.decode(code)))


def render_ballot(request, code, opening, errors=None, data=None, status=200):
    return render(
        request,
        "surveys/ballot.html",
        {
            "code": code,
            "opening": opening,
            "question": ballots.QUESTION,
            "choices": Choice.choices,
            "max_comment": ballots.MAX_COMMENT_LENGTH,
            "errors": errors or {},
            "data": data or {},
        },
        status=status,
    )


@method_decorator(never_cache, name="dispatch")
class BallotView(View):
    """/b/<code>/: the anonymous ballot the slip's QR code opens."""

    def get(self, request, code):
        if _throttled(request):
            return _too_many(request)
        try:
            opening = ballots.open_ballot(code)
        except ballots.TokenRefused as refused:
            return _refusal(request, refused.reason, refused.message)
        return render_ballot(request, tokens.encode(tokens.decode(code)), opening)


@method_decorator(never_cache, name="dispatch")
class BallotCastView(View):
    """/b/cast/: the ballot's form posts here, the token in the body rather than the path,
    so a refused POST (say a stale CSRF cookie) logs no token; then the thank-you page."""

    http_method_names = ["post"]

    def post(self, request):
        if _throttled(request):
            return _too_many(request)
        code = request.POST.get("code", "")
        try:
            ballots.cast_ballot(
                code=code,
                choice=request.POST.get("choice", ""),
                comment=request.POST.get("comment", ""),
            )
        except ballots.TokenRefused as refused:
            return _refusal(request, refused.reason, refused.message)
        except ValidationError as exc:
            opening = ballots.open_ballot(code)
            return render_ballot(request, code, opening, exc.message_dict, request.POST, 400)
        return redirect("ballot-thanks")


@method_decorator(never_cache, name="dispatch")
class BallotThanksView(View):
    def get(self, request):
        return render(request, "surveys/ballot_thanks.html", {})


urlpatterns = [
    path("", BallotCodeView.as_view(), name="ballot-code"),
    path("thanks/", BallotThanksView.as_view(), name="ballot-thanks"),
    path("cast/", BallotCastView.as_view(), name="ballot-cast"),
    path("<str:code>/", BallotView.as_view(), name="ballot"),
]

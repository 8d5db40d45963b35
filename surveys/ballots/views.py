"""Ballot pages (民主评议): staff issue batches and download their slips (under /surveys/);
respondents open a ballot from the slip's QR link or typed code and answer it without an
account (under /b/, SPEC §1 评议人). Rules live in `surveys.ballots`."""

from collections import defaultdict

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from assessment.models import Cycle
from core.client_ip import client_ip
from core.views import int_or_none
from org.access import RoleRequiredMixin
from scoring.access import STAFF_ROLES
from surveys.ballots import services as ballots
from surveys.ballots import tokens
from surveys.models import BallotBatch, Choice

# Typed codes that open nothing, per client address, before the code pages refuse for a
# while. Generous, because a whole neighbourhood may share one carrier-grade NAT address;
# a 128-bit token cannot be guessed anyway, this only stops a flood.
GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 15 * 60
REFUSAL_STATUS = {"unknown": 404, "used": 410, "closed": 410, "throttled": 429}


def cycle_crumbs(cycle):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
    ]


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


class BatchListView(RoleRequiredMixin, View):
    """A cycle's batches by community × category with issued and used counts (return
    counts only; rates and results are on the results pages)."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        batches = list(
            BallotBatch.objects.for_user(request.user)
            .filter(cycle=cycle)
            .select_related("community", "category", "created_by")
            .annotate(used=Count("tokens", filter=Q(tokens__used_on__isnull=False)))
        )
        groups = defaultdict(lambda: {"batches": [], "issued": 0, "used": 0})
        for batch in batches:
            group = groups[(batch.community, batch.category)]
            group["batches"].append(batch)
            group["issued"] += batch.size
            group["used"] += batch.used
        may_issue = (
            cycle.status in ballots.ACCEPTING_STATUSES
            and ballots.issuable_communities(request.user, cycle).exists()
        )
        return render(
            request,
            "surveys/batch_list.html",
            {
                "cycle": cycle,
                "groups": [
                    {"community": community, "category": category, **group}
                    for (community, category), group in groups.items()
                ],
                "total_issued": sum(b.size for b in batches),
                "total_used": sum(b.used for b in batches),
                "may_issue": may_issue,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("民主评议票"), "")],
            },
        )


class BatchCreateView(RoleRequiredMixin, View):
    """Issue a batch; the response is the slips PDF, the only time its codes exist."""

    roles = ballots.ISSUER_ROLES

    def render_form(self, request, cycle, errors=None, data=None, status=200):
        return render(
            request,
            "surveys/batch_form.html",
            {
                "cycle": cycle,
                "communities": ballots.issuable_communities(request.user, cycle),
                "categories": cycle.frozen_template.survey_categories.all()
                if cycle.frozen_template_id
                else [],
                "accepting": cycle.status in ballots.ACCEPTING_STATUSES,
                "max_size": ballots.MAX_BATCH_SIZE,
                "errors": errors or {},
                "data": data or {},
                "breadcrumbs": [
                    *cycle_crumbs(cycle),
                    (_("民主评议票"), reverse("ballot-batch-list", args=[cycle.pk])),
                    (_("发放评议票"), ""),
                ],
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_form(request, visible_cycle(request.user, pk))

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        community = get_object_or_404(
            ballots.issuable_communities(request.user, cycle),
            pk=int_or_none(request.POST.get("community")),
        )
        category = (
            cycle.frozen_template.survey_categories.filter(
                pk=int_or_none(request.POST.get("category"))
            ).first()
            if cycle.frozen_template_id
            else None
        )
        try:
            batch, pdf = ballots.issue_batch(
                actor=request.user,
                cycle=cycle,
                community=community,
                category=category,
                size=int_or_none(request.POST.get("size")),
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            return self.render_form(request, cycle, errors, request.POST, status=400)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = _("评议票-%(community)s-%(category)s-%(n)d张-批次%(pk)d.pdf") % {
            "community": batch.community.name,
            "category": batch.category.name,
            "n": batch.size,
            "pk": batch.pk,
        }
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["Cache-Control"] = "no-store"
        return response


# Public pages (no login). A ballot link's path is its token, so refusals are kept out of
# the request log (Django logs every 4xx with its path).


def _unlogged(response):
    response._has_been_logged = True
    return response


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
    path("cycles/<int:pk>/ballots/", BatchListView.as_view(), name="ballot-batch-list"),
    path("cycles/<int:pk>/ballots/new/", BatchCreateView.as_view(), name="ballot-batch-create"),
]

public_urlpatterns = [
    path("", BallotCodeView.as_view(), name="ballot-code"),
    path("thanks/", BallotThanksView.as_view(), name="ballot-thanks"),
    path("cast/", BallotCastView.as_view(), name="ballot-cast"),
    path("<str:code>/", BallotView.as_view(), name="ballot"),
]

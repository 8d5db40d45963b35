"""Ballot batch pages for staff (民主评议票, under /surveys/): the batches of a cycle; issuing
one (fill in, confirm, then the batch's page, where the slips job's progress shows and the
PDF is downloaded once); voiding one. Rules live in `surveys.ballots.services`."""

import uuid
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from core.pagination import paginate
from core.views import int_or_none
from org.access import RoleRequiredMixin
from org.models import OrgUnit
from scoring.access import STAFF_ROLES
from surveys.ballots import services as ballots
from surveys.models import BallotBatch, SlipsState

# Per batch: tokens used, and tokens in the return-rate base (all but the void ones).
TOKEN_COUNTS = {
    "used": Count("tokens", filter=Q(tokens__used_on__isnull=False)),
    "issued": Count("tokens", filter=Q(tokens__voided=False)),
}


def cycle_crumbs(cycle):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
    ]


def batches_crumbs(cycle):
    return [*cycle_crumbs(cycle), (_("民主评议票"), reverse("ballot-batch-list", args=[cycle.pk]))]


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def visible_batch(user, pk):
    """The batch with its token counts, if within the user's scope; 404 otherwise."""
    return get_object_or_404(
        BallotBatch.objects.for_user(user)
        .select_related("cycle__county", "community", "category", "created_by", "voided_by")
        .annotate(**TOKEN_COUNTS),
        pk=pk,
    )


def current_batch(user, pk):
    """The visible batch, its slips marked failed first if their job is lost for good."""
    batch = visible_batch(user, pk)
    if ballots.fail_abandoned_slips(batch):
        batch.refresh_from_db(fields=["slips_state", "slips_error"])
    return batch


class BatchListView(RoleRequiredMixin, View):
    """A cycle's batches by community × category with issued and used counts (return
    counts only; rates and results are on the results pages), a page of communities at
    a time (SPEC §6) under the cycle's totals. A voided batch's unused tokens are not
    counted as issued."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        scoped = BallotBatch.objects.for_user(request.user).filter(cycle=cycle)
        totals = scoped.aggregate(communities=Count("community", distinct=True), **TOKEN_COUNTS)
        # A page of the communities with batches, in tree order; its batches are read
        # with the page as a subquery (one query for both).
        page = paginate(
            request,
            OrgUnit.objects.filter(pk__in=scoped.values("community"))
            .order_by("path")
            .values_list("pk", flat=True),
            count=totals["communities"],
        )
        batches = (
            scoped.filter(community__in=page.object_list)
            .select_related("community", "category", "created_by", "voided_by")
            .annotate(**TOKEN_COUNTS)
            .order_by("community__path", "category__name", "pk")
        )
        groups = defaultdict(lambda: {"batches": [], "issued": 0, "used": 0})
        for batch in batches:
            group = groups[(batch.community, batch.category)]
            group["batches"].append(batch)
            group["issued"] += batch.issued
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
                "page_obj": page,
                "total_issued": totals["issued"],
                "total_used": totals["used"],
                "may_issue": may_issue,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("民主评议票"), "")],
            },
        )


class BatchCreateView(RoleRequiredMixin, View):
    """Issue a batch in two steps: the form, then a confirmation showing community,
    category and number. Nothing is created before 确认发放; the confirmation carries a
    one-time key, so a double click or a resubmitted page issues once. Then the batch's
    page, where the slips are made in the background."""

    roles = ballots.ISSUER_ROLES

    def render_form(self, request, cycle, errors=None, data=None, status=200):
        return render(
            request,
            "surveys/batch_form.html",
            {
                "cycle": cycle,
                "communities": ballots.issuable_communities(request.user, cycle),
                "categories": self.categories(cycle),
                "accepting": cycle.status in ballots.ACCEPTING_STATUSES,
                "max_size": ballots.MAX_BATCH_SIZE,
                "errors": errors or {},
                "data": data or {},
                "breadcrumbs": [*batches_crumbs(cycle), (_("发放评议票"), "")],
            },
            status=status,
        )

    @staticmethod
    def categories(cycle):
        if not cycle.frozen_template_id:
            return []
        return cycle.frozen_template.survey_categories.all()

    def get(self, request, pk):
        return self.render_form(request, visible_cycle(request.user, pk))

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        if "edit" in request.POST:
            return self.render_form(request, cycle, data=request.POST)
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
        size = int_or_none(request.POST.get("size"))
        choice = {"community": community, "category": category, "size": size}
        try:
            if "confirm" not in request.POST:
                ballots.check_issue(actor=request.user, cycle=cycle, **choice)
                return self.render_confirmation(request, cycle, choice)
            batch = ballots.issue_batch(
                actor=request.user,
                cycle=cycle,
                base_url=request.build_absolute_uri("/"),
                request_key=self.request_key(request),
                **choice,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            return self.render_form(request, cycle, errors, request.POST, status=400)
        return redirect("ballot-batch-detail", pk=batch.pk)

    @staticmethod
    def request_key(request):
        try:
            return uuid.UUID(request.POST.get("request_key", ""))
        except ValueError:
            raise ValidationError(_("确认信息不完整或已失效，请重新填写并确认。")) from None

    def render_confirmation(self, request, cycle, choice):
        return render(
            request,
            "surveys/batch_confirm.html",
            {
                "cycle": cycle,
                **choice,
                "request_key": uuid.uuid4(),
                "breadcrumbs": [*batches_crumbs(cycle), (_("确认发放"), "")],
            },
        )


def batch_context(request, batch):
    """What the batch page and its polled slips part show."""
    return {
        "batch": batch,
        "may_download": (
            batch.created_by_id == request.user.pk
            and not batch.is_voided
            and not batch.slips_printed
            and batch.slips_state == SlipsState.READY
            and bool(batch.slips_file)
        ),
        "polling": batch.slips_state == SlipsState.PENDING and not batch.is_voided,
    }


class BatchDetailView(RoleRequiredMixin, View):
    """A batch: what was issued, by whom, how many used; its slips (progress while the
    job makes them, then the one download for its issuer); voided or the 作废 button."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        batch = current_batch(request.user, pk)
        return render(
            request,
            "surveys/batch_detail.html",
            {
                **batch_context(request, batch),
                "cycle": batch.cycle,
                "may_void": ballots.may_void(request.user, batch),
                "breadcrumbs": [
                    *batches_crumbs(batch.cycle),
                    (_("批次 %(pk)d") % {"pk": batch.pk}, ""),
                ],
            },
        )


class BatchStatusView(RoleRequiredMixin, View):
    """The batch page's slips part, polled by htmx every second while the job runs."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        batch = current_batch(request.user, pk)
        return render(request, "surveys/_batch_slips.html", batch_context(request, batch))


class BatchSlipsView(RoleRequiredMixin, View):
    """下载评议票: the slips PDF, once, for the batch's issuer (a POST: it deletes the
    stored file)."""

    roles = ballots.ISSUER_ROLES
    http_method_names = ["post"]

    def post(self, request, pk):
        batch = visible_batch(request.user, pk)
        try:
            batch, pdf = ballots.take_slips(actor=request.user, batch=batch)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("ballot-batch-detail", pk=batch.pk)
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


class BatchVoidView(RoleRequiredMixin, View):
    """作废: the confirmation page (what voiding does, the reason), then the void."""

    roles = ballots.ISSUER_ROLES

    def render_page(self, request, batch, errors=None, data=None, status=200):
        return render(
            request,
            "surveys/batch_void.html",
            {
                "batch": batch,
                "cycle": batch.cycle,
                "may_void": ballots.may_void(request.user, batch),
                "max_reason": ballots.MAX_VOID_REASON_LENGTH,
                "errors": errors or {},
                "data": data or {},
                "breadcrumbs": [
                    *batches_crumbs(batch.cycle),
                    (
                        _("批次 %(pk)d") % {"pk": batch.pk},
                        reverse("ballot-batch-detail", args=[batch.pk]),
                    ),
                    (_("作废"), ""),
                ],
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(request, visible_batch(request.user, pk))

    def post(self, request, pk):
        batch = visible_batch(request.user, pk)
        try:
            voided = ballots.void_batch(
                actor=request.user, batch=batch, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            return self.render_page(request, batch, errors, request.POST, status=400)
        messages.success(
            request,
            _(
                "已作废批次 %(pk)d：%(unused)d 张未使用的评议票已失效，不再计入回收率；"
                "已回收的 %(used)d 张继续有效。"
            )
            % {"pk": batch.pk, "unused": voided.unused, "used": voided.used},
        )
        return redirect("ballot-batch-detail", pk=batch.pk)


urlpatterns = [
    path("cycles/<int:pk>/ballots/", BatchListView.as_view(), name="ballot-batch-list"),
    path("cycles/<int:pk>/ballots/new/", BatchCreateView.as_view(), name="ballot-batch-create"),
    path("ballot-batches/<int:pk>/", BatchDetailView.as_view(), name="ballot-batch-detail"),
    path("ballot-batches/<int:pk>/status/", BatchStatusView.as_view(), name="ballot-batch-status"),
    path("ballot-batches/<int:pk>/slips/", BatchSlipsView.as_view(), name="ballot-batch-slips"),
    path("ballot-batches/<int:pk>/void/", BatchVoidView.as_view(), name="ballot-batch-void"),
]

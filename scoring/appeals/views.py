"""Appeal pages (申诉/复核): a secretary files during 公示; county assessors accept,
correct scores with before/after, decide or reject (services in scoring.appeals.services)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from assessment.models import Cycle, CycleStatus, CycleTransition, Participant
from assessment.selectors import cycle_crumbs
from assessment.services import MANAGER_ROLES as MANAGERS
from assessment.services import may_manage
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, int_or_none, report_refusal
from org.access import RoleRequiredMixin
from org.scope import Role
from scoring.appeals import services as appeals
from scoring.evidence_files import file_store
from scoring.models import Appeal, AppealStatus, ScoreEntry, Source


def visible_appeal(user, pk):
    return get_object_or_404(
        Appeal.objects.for_user(user).select_related(
            "participant__cycle__county",
            "participant__secretary",
            "participant__community",
            "filed_by",
            "handled_by",
        ),
        pk=pk,
    )


def managed_appeal(user, pk):
    appeal = visible_appeal(user, pk)
    if not may_manage(user, appeal.participant.cycle):
        raise Http404
    return appeal


class AppealListView(LoginRequiredMixin, View):
    """The cycle's appeals the user reaches (a secretary: their own)."""

    def get(self, request, pk):
        cycle = get_object_or_404(Cycle.objects.for_user(request.user), pk=pk)
        rows = (
            Appeal.objects.for_user(request.user)
            .filter(participant__cycle=cycle)
            .select_related("participant__secretary", "participant__community", "handled_by")
        )
        status = request.GET.get("status", "")
        if status in AppealStatus.values:
            rows = rows.filter(status=status)
        own = Participant.objects.filter(cycle=cycle, secretary__user=request.user).first()
        may_file = (
            own is not None
            and cycle.status == CycleStatus.REVIEW
            and not own.appeals.open().exists()
        )
        moves = dict(
            CycleTransition.objects.filter(
                cycle=cycle, to_status__in=(CycleStatus.REVIEW, CycleStatus.PUBLISHED)
            )
            .order_by("at")
            .values_list("to_status", "at")
        )
        return render(
            request,
            "scoring/appeals/list.html",
            {
                "cycle": cycle,
                "review_started": moves.get(CycleStatus.REVIEW),
                "published": moves.get(CycleStatus.PUBLISHED),
                "own": own,
                "appeals": rows,
                "status": status,
                "statuses": AppealStatus.choices,
                "may_file": may_file,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("申诉"), "")],
            },
        )


class AppealCreateView(RoleRequiredMixin, View):
    """A secretary's appeal against their own result, during 公示."""

    roles = (Role.SECRETARY,)

    def participant(self, request, pk):
        cycle = get_object_or_404(Cycle.objects.for_user(request.user), pk=pk)
        return get_object_or_404(
            Participant.objects.select_related("cycle", "secretary", "community"),
            cycle=cycle,
            secretary__user=request.user,
        )

    def render_form(self, request, participant, errors=(), data=None):
        cycle = participant.cycle
        return render(
            request,
            "scoring/appeals/form.html",
            {
                "cycle": cycle,
                "participant": participant,
                "errors": errors,
                "data": data or {},
                "open": cycle.status == CycleStatus.REVIEW,
                "breadcrumbs": [
                    *cycle_crumbs(cycle),
                    (_("申诉"), reverse("appeal-list", args=[cycle.pk])),
                    (_("提出申诉"), ""),
                ],
            },
        )

    def get(self, request, pk):
        return self.render_form(request, self.participant(request, pk))

    def post(self, request, pk):
        participant = self.participant(request, pk)
        try:
            appeal = appeals.file_appeal(
                actor=request.user,
                participant=participant,
                reasons=request.POST.get("reasons", ""),
                evidence=request.POST.get("evidence", ""),
                uploads=request.FILES.getlist("files"),
            )
        except ValidationError as exc:
            return self.render_form(request, participant, exc.messages, request.POST)
        messages.success(request, _("申诉已提交，请等待县委组织部复核。"))
        return redirect("appeal-detail", pk=appeal.pk)


class AppealDetailView(LoginRequiredMixin, BreadcrumbsMixin, DetailView):
    template_name = "scoring/appeals/detail.html"
    context_object_name = "appeal"

    def get_object(self, queryset=None):
        return visible_appeal(self.request.user, self.kwargs["pk"])

    def get_breadcrumbs(self):
        cycle = self.object.participant.cycle
        return [
            *cycle_crumbs(cycle),
            (_("申诉"), reverse("appeal-list", args=[cycle.pk])),
            (str(self.object.participant), ""),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        appeal = self.object
        cycle = appeal.participant.cycle
        manages = may_manage(self.request.user, cycle) and cycle.status == CycleStatus.REVIEW
        context["manages"] = manages
        context["changes"] = appeal.changes.select_related("rater", "changed_by")
        context["attachments"] = appeal.attachments.all()
        context["adds_evidence"] = (
            appeal.status == AppealStatus.FILED
            and appeal.participant.secretary.user_id == self.request.user.pk
        )
        if manages and appeal.status == AppealStatus.REVIEWING:
            context["entries"] = (
                ScoreEntry.objects.filter(
                    participant=appeal.participant, source__in=(Source.TARGET, Source.ORG)
                )
                .select_related("leaf", "rater", "level")
                .prefetch_related("leaf__bars_levels")
                .order_by("leaf__sort_key", "source", "rater__full_name")
            )
            context["leaves"] = (
                cycle.frozen_template.nodes.filter(children__isnull=True)
                .prefetch_related("bars_levels")
                .order_by("sort_key")
            )
            context["sources"] = [
                (Source.TARGET, Source.TARGET.label),
                (Source.ORG, Source.ORG.label),
            ]
        return context


class AppealEvidenceView(RoleRequiredMixin, View):
    """The appeal's secretary adds evidence files while it is 待受理."""

    roles = (Role.SECRETARY,)
    http_method_names = ["post"]

    def post(self, request, pk):
        appeal = visible_appeal(request.user, pk)
        try:
            added = file_store().attach_files(
                actor=request.user,
                participant=appeal.participant,
                uploads=request.FILES.getlist("files"),
                appeal=appeal,
            )
        except ValidationError as exc:
            messages.error(request, _("未上传任何文件：%(why)s") % {"why": " ".join(exc.messages)})
        else:
            messages.success(
                request,
                _("已上传 %(n)d 个文件：%(names)s")
                % {"n": len(added), "names": "、".join(a.original_name for a in added)},
            )
        return redirect(reverse("appeal-detail", args=[appeal.pk]) + "#evidence")


class AppealActionView(RoleRequiredMixin, View):
    """受理 / 不予受理 / 办结."""

    roles = MANAGERS

    def post(self, request, pk):
        appeal = managed_appeal(request.user, pk)
        action = request.POST.get("action")
        version = int_or_none(request.POST.get("version"))
        text = request.POST.get("text", "")
        try:
            if action == "accept":
                appeals.accept_appeal(actor=request.user, appeal=appeal, version=version)
                done = _("已受理，可以复核改分。")
            elif action == "reject":
                appeals.reject_appeal(
                    actor=request.user, appeal=appeal, version=version, reason=text
                )
                done = _("已不予受理。")
            elif action == "decide":
                appeals.decide_appeal(
                    actor=request.user, appeal=appeal, version=version, decision=text
                )
                done = _("复核已办结。")
            else:
                raise ValidationError(_("未知的操作。"))
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(request, done)
        return redirect("appeal-detail", pk=appeal.pk)


class AppealCorrectView(RoleRequiredMixin, View):
    """One score changed in review: an existing entry, or a new one of the reviewer's."""

    roles = MANAGERS

    def post(self, request, pk):
        appeal = managed_appeal(request.user, pk)
        post = request.POST
        try:
            entry, leaf, level = appeals.correction_targets(
                appeal,
                entry_id=int_or_none(post.get("entry")),
                leaf_id=int_or_none(post.get("leaf")),
                level_id=int_or_none(post.get("level")),
            )
        except ValidationError as exc:
            report_refusal(request, exc)
            return redirect("appeal-detail", pk=appeal.pk)
        if leaf is None:
            raise Http404
        try:
            value = Decimal(post["value"]) if post.get("value", "").strip() else None
        except InvalidOperation:
            messages.error(request, _("分数必须是数字。"))
            return redirect("appeal-detail", pk=appeal.pk)
        try:
            change = appeals.correct_score(
                actor=request.user,
                appeal=appeal,
                entry=entry,
                leaf=leaf,
                source=post.get("source"),
                value=value,
                level=level,
                note=post.get("note", ""),
                version=int_or_none(post.get("version")),
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(
                request,
                _("已将 %(code)s %(name)s 由 %(before)s 改为 %(after)s。")
                % {
                    "code": change.leaf_code,
                    "name": change.leaf_name,
                    "before": change.before if change.before is not None else "—",
                    "after": change.after,
                },
            )
        return redirect("appeal-detail", pk=appeal.pk)

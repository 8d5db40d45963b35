"""自我检评 pages (issue 5): the secretary's own page (read-only for staff in scope), the
assessors' 退回 form on it, and the staff list of a cycle's self-evaluations.

The rules are `scoring.selfeval`'s: these views look objects up inside the user's scope
(outside it: 404), hand what was posted to a service and show what it said.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from assessment.models import Cycle, CycleStatus, Participant
from core.pagination import PaginatedListMixin
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, int_or_none
from indicators.models import IndicatorNode
from org.access import RoleRequiredMixin
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role
from scoring import selfeval
from scoring.access import STAFF_ROLES
from scoring.evidence_files import file_store
from scoring.models import ScoreEntry, SelfEvaluationStatus, Source

RETURNERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)
STATUS_BADGES = {
    SelfEvaluationStatus.DRAFT: "text-bg-secondary",
    SelfEvaluationStatus.SUBMITTED: "text-bg-success",
    SelfEvaluationStatus.RETURNED: "text-bg-warning",
}
NOT_STARTED = "none"
# A message about one leaf's evidence is shown at the leaf, not at the top of the page
# (the page opens scrolled to the leaf); base.html leaves "inline" messages out.
LEAF_NOTICE = "inline evidence-leaf-%d"


def participant_in_scope(user, pk):
    """The participant if the user reaches it, in a cycle that has its indicators (a
    draft cycle has nothing to evaluate yet); 404 otherwise."""
    participant = get_object_or_404(
        Participant.objects.for_user(user).select_related(
            "cycle__county", "cycle__frozen_template", "secretary", "community__parent"
        ),
        pk=pk,
    )
    if participant.cycle.frozen_template_id is None:
        raise Http404
    return participant


class SelfEvaluationPage(LoginRequiredMixin, BreadcrumbsMixin, TemplateView):
    """GET shows the page; the secretary's POST saves the draft (action=save) or saves and
    submits it (action=submit)."""

    template_name = "scoring/selfeval.html"

    def get(self, request, pk):
        self.participant = participant_in_scope(request.user, pk)
        return self.render_page()

    def render_page(self, *, sheet=None, **extra):
        participant, user = self.participant, self.request.user
        evaluation = selfeval.evaluation_of(participant)
        sheet = sheet or selfeval.self_evaluation_sheet(participant)
        notices = {}
        for message in messages.get_messages(self.request):
            notices.setdefault(message.extra_tags, []).append(message)
        for line in sheet.lines:
            line.notices = notices.get(LEAF_NOTICE % line.leaf.pk, [])
        editable, read_only_reason = selfeval.editing_state(user, participant, evaluation)
        cycle = participant.cycle
        returnable = (
            evaluation is not None
            and evaluation.status == SelfEvaluationStatus.SUBMITTED
            and cycle.status == CycleStatus.OPEN
            and selfeval.may_return(user, participant)
        )
        context = {
            "participant": participant,
            "cycle": cycle,
            "evaluation": evaluation,
            "badge": STATUS_BADGES.get(evaluation.status) if evaluation else "",
            "sheet": sheet,
            "editable": editable,
            "read_only_reason": read_only_reason,
            "is_own": selfeval.is_own(user, participant),
            "returnable": returnable,
            "incidents": selfeval.critical_incidents(participant),
            "changes": selfeval.status_changes(evaluation),
            "summary": evaluation.summary if evaluation else "",
            "version": evaluation.version if evaluation else "",
            **extra,
        }
        return self.render_to_response(self.get_context_data(**context))

    def post(self, request, pk):
        self.participant = participant = participant_in_scope(request.user, pk)
        sheet = selfeval.self_evaluation_sheet(participant)
        items = []
        for line in sheet.lines:
            prefix = f"leaf-{line.leaf.pk}-"
            # Every leaf on the page posts its version field; a leaf without one was not
            # on the page, and is left as it is.
            if prefix + "version" not in request.POST:
                continue
            line.answer = request.POST.get(prefix + "answer", "").strip()
            line.note = request.POST.get(prefix + "note", "")
            line.version = int_or_none(request.POST.get(prefix + "version"))
            answer = (line.chosen_level or line.answer) if line.uses_levels else line.answer
            items.append(selfeval.SelfEvaluationItem(line.leaf, answer, line.note, line.version))
        summary = request.POST.get("summary", "")
        version = int_or_none(request.POST.get("version"))
        try:
            evaluation = selfeval.save_self_evaluation(
                actor=request.user,
                participant=participant,
                items=items,
                summary=summary,
                version=version,
            )
        except selfeval.SelfEvaluationChanged as exc:
            return self.refused_as_changed(sheet, exc, summary, version)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            for line in sheet.lines:
                line.errors = errors.get(line.leaf.code, [])
            return self.render_page(
                sheet=sheet, errors=exc.messages, summary=summary, version=version or ""
            )
        if request.POST.get("action") == "submit":
            return self.submit(evaluation)
        messages.success(
            request,
            _("草稿已保存（%(filled)d / %(total)d 项已填写）。尚未提交，确认无误后请点击“提交”。")
            % self.filled_counts(),
        )
        return redirect("selfeval", pk=participant.pk)

    def filled_counts(self):
        sheet = selfeval.self_evaluation_sheet(self.participant)
        return {"filled": len(sheet.lines) - len(sheet.missing), "total": len(sheet.lines)}

    def refused_as_changed(self, sheet, exc, summary, version):
        """Show what the person sent, each record changed elsewhere beside it as it is
        saved now, with the versions of now: saving again is then a deliberate choice."""
        for line in sheet.lines:
            problems = exc.problems.get(line.leaf.code, [])
            line.errors = problems
            if line.leaf.pk in exc.entries:
                line.conflict = exc.entries[line.leaf.pk]
                line.version = line.conflict.version
        extra = {"errors": [m for ms in exc.problems.values() for m in ms], "conflict": str(exc)}
        if exc.summary_changed:
            extra["summary_conflict"] = exc.current.summary
            version = exc.current.version
        return self.render_page(sheet=sheet, summary=summary, version=version or "", **extra)

    def submit(self, evaluation):
        request, participant = self.request, self.participant
        try:
            selfeval.submit_self_evaluation(
                actor=request.user, participant=participant, version=evaluation.version
            )
        except (ValidationError, StaleVersion) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, _("草稿已保存，但未能提交：%(why)s") % {"why": text})
            return redirect("selfeval", pk=participant.pk)
        missing = selfeval.self_evaluation_sheet(participant).missing
        if missing:
            messages.warning(
                request,
                _(
                    "自评已提交并锁定。以下 %(n)d 项未填写，按 0 分计入自评，并标记为“自评不完整”：%(leaves)s"
                )
                % {
                    "n": len(missing),
                    "leaves": "、".join(f"{leaf.code} {leaf.name}" for leaf in missing),
                },
            )
        else:
            messages.success(request, _("自评已提交并锁定，所有指标均已填写。"))
        return redirect("selfeval", pk=participant.pk)

    def get_breadcrumbs(self):
        participant, cycle = self.participant, self.participant.cycle
        trail = [
            (_("考核周期"), reverse("cycle-list")),
            (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        ]
        if not selfeval.is_own(self.request.user, participant):
            trail.append((_("自我检评情况"), reverse("selfeval-list", args=[cycle.pk])))
        trail.append(
            (_("自我检评：%(who)s") % {"who": participant.secretary.name}, None),
        )
        return trail


class SelfEvaluationReturnView(RoleRequiredMixin, SelfEvaluationPage):
    """退回: the county's assessors and admins, or the participant's town assessors."""

    roles = RETURNERS
    http_method_names = ["post"]

    def post(self, request, pk):
        self.participant = participant = participant_in_scope(request.user, pk)
        reason = request.POST.get("reason", "")
        try:
            selfeval.return_self_evaluation(
                actor=request.user,
                participant=participant,
                reason=reason,
                version=int_or_none(request.POST.get("version")),
            )
        except StaleVersion:
            messages.error(
                request,
                _("%(who)s 的自评在您查看后有了变化，未退回；请查看最新状态后再操作。")
                % {"who": participant.secretary.name},
            )
            return redirect("selfeval", pk=participant.pk)
        except ValidationError as exc:
            return self.render_page(return_reason=reason, return_errors=exc.messages)
        messages.success(
            request,
            _("已退回 %(who)s 的自评，书记可修改后重新提交，并会看到退回原因。")
            % {"who": participant.secretary.name},
        )
        return redirect("selfeval", pk=participant.pk)


class SelfEvaluationEvidenceView(RoleRequiredMixin, View):
    """The secretary uploads evidence files for one leaf while the self-evaluation is
    editable; back to the page at that leaf, which says what happened."""

    roles = (Role.SECRETARY,)
    http_method_names = ["post"]

    def post(self, request, pk):
        participant = participant_in_scope(request.user, pk)
        leaf = get_object_or_404(
            IndicatorNode.objects.filter(
                template_id=participant.cycle.frozen_template_id, children__isnull=True
            ),
            pk=int_or_none(request.POST.get("leaf")),
        )
        tag = LEAF_NOTICE % leaf.pk
        try:
            added = file_store().attach_files(
                actor=request.user,
                participant=participant,
                uploads=request.FILES.getlist("files"),
                leaf=leaf,
            )
        except ValidationError as exc:
            messages.error(
                request,
                _("未上传任何文件：%(why)s") % {"why": " ".join(exc.messages)},
                extra_tags=tag,
            )
        else:
            messages.success(
                request,
                _("已上传 %(n)d 个文件：%(names)s")
                % {"n": len(added), "names": "、".join(a.original_name for a in added)},
                extra_tags=tag,
            )
        return redirect(reverse("selfeval", args=[participant.pk]) + f"#leaf-{leaf.pk}")


class SelfEvaluationListView(RoleRequiredMixin, BreadcrumbsMixin, PaginatedListMixin, ListView):
    """自我检评情况: the participants of a cycle in the user's scope with their status,
    filled leaves, self total and submission time; filter by status."""

    roles = STAFF_ROLES
    template_name = "scoring/selfeval_list.html"

    def get_queryset(self):
        user = self.request.user
        self.cycle = cycle = get_object_or_404(
            Cycle.objects.for_user(user, roles=STAFF_ROLES).select_related("county"),
            pk=self.kwargs["pk"],
        )
        entries = (
            ScoreEntry.objects.filter(
                participant=OuterRef("pk"),
                source=Source.SELF,
                rater=OuterRef("secretary__user"),
                leaf__template_id=cycle.frozen_template_id,
            )
            .order_by()
            .values("participant")
        )
        self.base = Participant.objects.for_user(user).filter(cycle=cycle)
        self.towns = list(
            OrgUnit.objects.filter(
                pk__in=self.base.values("community__parent"), kind=OrgUnitKind.TOWN
            ).order_by("path")
        )
        self.town = next(
            (t for t in self.towns if t.pk == int_or_none(self.request.GET.get("town"))), None
        )
        if self.town is not None:
            self.base = self.base.filter(community__parent=self.town)
        qs = (
            self.base.select_related("secretary", "community__parent", "self_evaluation")
            .annotate(
                n_filled=Coalesce(Subquery(entries.annotate(n=Count("pk")).values("n")), 0),
                self_total=Subquery(entries.annotate(s=Sum("value")).values("s")),
                # Returned ones first: they wait for their secretary (issue 14).
                returned_first=Case(
                    When(self_evaluation__status=SelfEvaluationStatus.RETURNED, then=0),
                    default=1,
                ),
            )
            .order_by("returned_first", "community__path", "secretary__staff_no")
        )
        self.status = self.request.GET.get("status", "")
        if self.status == NOT_STARTED:
            qs = qs.filter(self_evaluation__isnull=True)
        elif self.status in SelfEvaluationStatus.values:
            qs = qs.filter(self_evaluation__status=self.status)
        else:
            self.status = ""
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycle = self.cycle
        counts = self.base.aggregate(
            all=Count("pk"),
            none=Count("pk", filter=Q(self_evaluation__isnull=True)),
            **{
                status: Count("pk", filter=Q(self_evaluation__status=status))
                for status in SelfEvaluationStatus.values
            },
        )
        context["cycle"] = cycle
        context["filters"] = [
            ("", _("全部"), counts["all"]),
            (NOT_STARTED, _("未开始"), counts["none"]),
            *((status, label, counts[status]) for status, label in SelfEvaluationStatus.choices),
        ]
        context["status"] = self.status
        context["towns"], context["town"] = self.towns, self.town
        context["n_leaves"] = (
            IndicatorNode.objects.filter(
                template_id=cycle.frozen_template_id, children__isnull=True
            ).count()
            if cycle.frozen_template_id
            else 0
        )
        for participant in context["object_list"]:
            evaluation = getattr(participant, "self_evaluation", None)
            participant.evaluation = evaluation
            participant.badge = STATUS_BADGES.get(evaluation.status) if evaluation else ""
        return context

    def get_breadcrumbs(self):
        return [
            (_("考核周期"), reverse("cycle-list")),
            (self.cycle.name, reverse("cycle-detail", args=[self.cycle.pk])),
            (_("自我检评情况"), None),
        ]


urlpatterns = [
    path(
        "participants/<int:pk>/self-evaluation/",
        SelfEvaluationPage.as_view(),
        name="selfeval",
    ),
    path(
        "participants/<int:pk>/self-evaluation/evidence/",
        SelfEvaluationEvidenceView.as_view(),
        name="selfeval-evidence",
    ),
    path(
        "participants/<int:pk>/self-evaluation/return/",
        SelfEvaluationReturnView.as_view(),
        name="selfeval-return",
    ),
    path(
        "cycles/<int:pk>/self-evaluations/",
        SelfEvaluationListView.as_view(),
        name="selfeval-list",
    ),
]

"""Results pages (issue 5): the ranking, one participant's results with the radar, the
score card with the waterfall, the quota and pay-tier preview, and grade overrides.

Reads go through `scoring.results.selectors` (starting from `Result.objects.for_user`, so a
secretary sees only their own results and only from 公示中 on); writes through
`scoring.results.services`. Objects outside the user's scope answer 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import may_manage
from core.pagination import PAGE_PARAM, paginate
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, apply_validation_error, int_or_none
from org.access import RoleRequiredMixin
from org.scope import Role
from scoring.access import COUNTY_STAFF, cycle_access, reads_whole_county
from scoring.inputs import small_samples
from scoring.models import VISIBLE_TO_SECRETARY, CriticalIncident, GradeOverride, Result
from scoring.results import selectors
from scoring.results import services as overrides
from scoring.services import current_results

MANAGERS = (Role.ADMIN, Role.COUNTY_ASSESSOR)


def readable_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def readable_participant(user, pk):
    """The participant in the user's scope; a secretary's own results only from 公示中
    on (before that the page does not exist for them: 404)."""
    participant = get_object_or_404(
        Participant.objects.for_user(user).select_related(
            "cycle__county", "secretary", "community__parent"
        ),
        pk=pk,
    )
    own = participant.secretary.user_id == user.pk
    if own and participant.cycle.status not in VISIBLE_TO_SECRETARY:
        raise Http404
    return participant


def managed_participant(user, pk):
    participant = get_object_or_404(
        Participant.objects.for_user(user).select_related("cycle__county", "secretary"), pk=pk
    )
    if not may_manage(user, participant.cycle):
        raise Http404
    return participant


def freshness(user, cycle, version):
    """What the "待更新" banner needs (scoring/results/_freshness.html)."""
    return {
        "version": version,
        "stale": version is not None and version.is_stale_for(cycle),
        "can_recompute": bool(
            may_manage(user, cycle) and not cycle.is_locked and cycle.frozen_template_id
        ),
    }


def safe_next(request, fallback):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def cycle_crumbs(cycle, *rest):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        *rest,
    ]


# ------------------------------------------------------------------------- ranking

COLUMNS = [
    ("rank", gettext_lazy("排名")),
    ("staff_no", gettext_lazy("工号")),
    ("name", gettext_lazy("姓名")),
    ("town", gettext_lazy("镇街")),
    ("community", gettext_lazy("社区")),
    ("self", gettext_lazy("自评")),
    ("target", gettext_lazy("目标量评")),
    ("org", gettext_lazy("组织考评")),
    ("composite", gettext_lazy("综合得分")),
    ("bonus", gettext_lazy("加分")),
    ("final", gettext_lazy("最终得分")),
    ("grade", gettext_lazy("等次")),
    ("veto", gettext_lazy("一票否决")),
    ("tier", gettext_lazy("档次")),
    ("coefficient", gettext_lazy("系数")),
    ("pay", gettext_lazy("绩效报酬")),
]
# Scores read best-first: the first click on these sorts descending.
DESCENDING_FIRST = {"self", "target", "org", "composite", "bonus", "final", "veto", "pay"}


class AnyTownField(forms.TypedChoiceField):
    """The town filter: any town id is taken, not only the listed ones, so a town
    outside the reader's scope shows no rows (the rows are scoped; SPEC §1) instead of
    being dropped for a page that seems to show that town."""

    def valid_value(self, value):
        return True


class RankingFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False, max_length=50)
    town = AnyTownField(label=gettext_lazy("镇街"), required=False, coerce=int, empty_value=None)
    grade = forms.ChoiceField(label=gettext_lazy("等次"), required=False)
    tier = forms.ChoiceField(label=gettext_lazy("档次"), required=False)
    veto = forms.ChoiceField(
        label=gettext_lazy("一票否决"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("yes", gettext_lazy("是")),
            ("no", gettext_lazy("否")),
        ],
    )
    flag = forms.ChoiceField(
        label=gettext_lazy("标记"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            *((key, flag.value) for key, flag in selectors.FLAG_FILTERS.items()),
            (selectors.FLAG_OVERRIDDEN, gettext_lazy("等次调整")),
        ],
    )

    def __init__(self, *args, towns, grades, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [("", _("全部"))]
        self.fields["town"].choices = everyone + [(t.pk, t.name) for t in towns]
        self.fields["grade"].choices = everyone + [(g, g) for g in grades]
        tiers = selectors.TIERS
        self.fields["tier"].choices = everyone + [
            (t, t) for t in (tiers.top, tiers.middle, tiers.bottom)
        ]

    def filters(self):
        self.is_valid()  # invalid parameters are ignored, the valid ones apply
        data = self.cleaned_data
        veto = {"yes": True, "no": False}.get(data.get("veto") or "")
        return selectors.RankingFilters(
            town=data.get("town"),
            grade=data.get("grade") or "",
            tier=data.get("tier") or "",
            veto=veto,
            flag=data.get("flag") or "",
            q=(data.get("q") or "").strip(),
        )


def sort_headers(request, sort):
    """Each column's label, the link that sorts by it, and how it is sorted now."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in selectors.SORT_FIELDS:
        key, descending = "rank", False
    headers = []
    for column, label in COLUMNS:
        params = request.GET.copy()
        params.pop(PAGE_PARAM, None)  # a new order starts on page 1
        if column == key:
            params["sort"] = column if descending else f"-{column}"
        else:
            params["sort"] = f"-{column}" if column in DESCENDING_FIRST else column
        headers.append(
            {
                "key": column,
                "label": label,
                "url": f"?{params.urlencode()}",
                "active": column == key,
                "descending": descending,
            }
        )
    return headers


class RankingView(LoginRequiredMixin, BreadcrumbsMixin, TemplateView):
    """排名: the current results the user may see, sortable and filterable, one page at a
    time (SPEC §6) above the counts per grade and tier of everything the user sees; the
    whole table is the Excel export."""

    template_name = "scoring/results/ranking.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        self.cycle = cycle = readable_cycle(user, self.kwargs["pk"])
        access = cycle_access(user, cycle)
        version = current_results(cycle)
        context = super().get_context_data(**kwargs)
        context.update(
            cycle=cycle,
            access=access,
            sees_preview=reads_whole_county(user, cycle),
            **freshness(user, cycle, version),
        )
        if version is None:
            return context
        form = RankingFilterForm(
            self.request.GET,
            towns=selectors.town_choices(user, cycle) if access.sees_others else [],
            grades=selectors.grade_order(cycle),
        )
        sort = self.request.GET.get("sort", "rank")
        filters = form.filters()
        counts = selectors.ranking_summary(user, cycle, version) if access.sees_others else None
        page = paginate(
            self.request,
            selectors.ranking_rows(user, cycle, version, filters, sort),
            # Unfiltered, the table holds everyone the summary counted.
            count=counts.total if counts is not None and filters == selectors.NO_FILTERS else None,
        )
        rows = selectors.decorate_rows(page.object_list, cycle)
        # SPEC §3.4 Validity: scores containing a rate from fewer than K ballots are for
        # the county's own staff only.
        small = (
            set()
            if reads_whole_county(user, cycle)
            else set(small_samples(cycle, {row.participant.community_id for row in rows}))
        )
        for row in rows:
            row.withheld = row.participant.community_id in small
        context.update(
            form=form,
            page_obj=page,
            rows=rows,
            headers=sort_headers(self.request, sort),
            filtered=any(self.request.GET.get(name) for name in form.fields),
            summary=selectors.warning_summary(user, version) if access.sees_others else None,
            counts=counts,
        )
        return context

    def get_breadcrumbs(self):
        return cycle_crumbs(self.cycle, (_("考核结果排名"), None))


class RecomputeView(RoleRequiredMixin, View):
    """The 重新计算 button: county managers compute now; the message says how it went."""

    roles = MANAGERS

    def post(self, request, pk):
        cycle = readable_cycle(request.user, pk)
        if not may_manage(request.user, cycle):
            raise Http404
        try:
            version = overrides.recompute_results(actor=request.user, cycle=cycle)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("已重新计算“%(name)s”的考核结果：%(n)d 人参加排名，计算时间 %(at)s。")
                % {
                    "name": cycle.name,
                    "n": version.n,
                    "at": timezone.localtime(version.computed_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
        return redirect(safe_next(request, reverse("ranking", args=[cycle.pk])))


# -------------------------------------------------------------------- the preview


class PreviewView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    """优秀名额与档次预览: the county's quota and pay tiers before publication — counts
    for everyone, names up to `selectors.LISTED` per list (SPEC §6)."""

    roles = COUNTY_STAFF
    template_name = "scoring/results/preview.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        self.cycle = cycle = readable_cycle(user, self.kwargs["pk"])
        if not reads_whole_county(user, cycle):
            raise Http404
        version = current_results(cycle)
        context = super().get_context_data(**kwargs)
        context.update(cycle=cycle, **freshness(user, cycle, version))
        if version is not None:
            # A cycle ranked per town has a group per town: a page of them at a time.
            page = paginate(self.request, version.groups, selectors.GROUP_PAGE_SIZES)
            context["page_obj"] = page
            context["preview"] = selectors.preview(user, cycle, version, page.object_list)
            context["listed"] = selectors.LISTED
        return context

    def get_breadcrumbs(self):
        return cycle_crumbs(
            self.cycle,
            (_("考核结果排名"), reverse("ranking", args=[self.cycle.pk])),
            (_("名额与档次预览"), None),
        )


# ------------------------------------------------------------- one participant


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("调整后等次"))
    reason = forms.CharField(
        label=gettext_lazy("调整理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, cycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(g, g) for g in cycle.grade_labels]


class ParticipantResultMixin(LoginRequiredMixin, BreadcrumbsMixin):
    """Loads the participant (in scope) and its current result before the context."""

    def get_context_data(self, **kwargs):
        user = self.request.user
        self.participant = participant = readable_participant(user, self.kwargs["pk"])
        self.cycle = cycle = participant.cycle
        self.access = cycle_access(user, cycle)
        self.result = (
            Result.objects.for_user(user)
            .current()
            .filter(participant=participant)
            .select_related("version")
            .first()
        )
        version = self.result.version if self.result else current_results(cycle)
        context = super().get_context_data(**kwargs)
        context.update(
            cycle=cycle,
            participant=participant,
            result=self.result,
            access=self.access,
            **freshness(user, cycle, version),
        )
        return context

    def get_breadcrumbs(self):
        crumbs = cycle_crumbs(self.cycle)
        if self.access.sees_others:
            crumbs.append((_("考核结果排名"), reverse("ranking", args=[self.cycle.pk])))
        return crumbs


def sheet_for(user, result, cycle, participant):
    """(sheet, withheld) as this reader may see them: a survey sample below K is marked
    样本不足; only the county's own staff see its rate and points — and, since every
    total, subtotal and step contains them, only they see the sheet at all (`withheld`
    is then the community's SmallSample and the sheet None; SPEC §3.4 Validity)."""
    small = small_samples(cycle, [participant.community_id]).get(participant.community_id)
    reveal = reads_whole_county(user, cycle)
    if small is not None and not reveal:
        return None, small
    return selectors.participant_sheet(result, cycle, small=small), None


def rank_note(user, result, cycle):
    """The result's place in words (ties, veto, quota), peers named only in the user's
    reach; None for a participant not graded."""
    if not result.graded:
        return None
    version = result.version
    notes = selectors.rank_notes(
        version, cycle, only={result.pk}, visible=selectors.visible_results(user, version)
    )
    return notes.get(result.pk)


class ResultDetailView(ParticipantResultMixin, TemplateView):
    """One participant's results: leaf-by-leaf S/T/O, totals, grade, tier, radar, and
    the grade override form for the county's managers."""

    template_name = "scoring/results/detail.html"

    def get_context_data(self, override_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        result, cycle, participant = self.result, self.cycle, self.participant
        user = self.request.user
        override = (
            GradeOverride.objects.filter(participant=participant).select_related("actor").first()
        )
        may_override = (
            result is not None
            and result.graded
            and self.access.manages
            and not cycle.is_locked
            and cycle.status != CycleStatus.DRAFT
        )
        if may_override and override_form is None:
            initial = {"version": override.version if override else None}
            if override:
                initial.update(grade=override.grade, reason=override.reason)
            override_form = OverrideForm(cycle=cycle, initial=initial)
        context.update(
            override=override,
            may_override=may_override,
            override_form=override_form,
            incidents=CriticalIncident.objects.for_user(user)
            .filter(participant=participant)
            .select_related("author"),
        )
        if result is not None:
            selectors.decorate(result, selectors.event_type_names(cycle))
            sheet, withheld = sheet_for(user, result, cycle, participant)
            if withheld is not None:
                context.update(withheld=withheld)
                return context
            averages, n = selectors.county_average(result.version, cycle, sheet)
            context.update(
                sheet=sheet,
                radar=selectors.radar_data(participant.secretary.name, sheet, averages, n),
                group=selectors.group_of(result.version, result),
                note=rank_note(user, result, cycle),
            )
        return context

    def get_breadcrumbs(self):
        return [*super().get_breadcrumbs(), (self.participant.secretary.name, None)]


class ResultCardView(ParticipantResultMixin, TemplateView):
    """计分卡: every step from the three evaluations to the pay, with a waterfall."""

    template_name = "scoring/results/card.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        result = self.result
        if result is not None:
            sheet, withheld = sheet_for(self.request.user, result, self.cycle, self.participant)
            if withheld is not None:
                context.update(withheld=withheld)
                return context
            note = rank_note(self.request.user, result, self.cycle)
            steps, waterfall = selectors.score_card(
                result, self.cycle, result.version, sheet, selectors.tied_count(result), note
            )
            context.update(sheet=sheet, steps=steps, waterfall=waterfall, note=note)
        return context

    def get_breadcrumbs(self):
        return [
            *super().get_breadcrumbs(),
            (
                self.participant.secretary.name,
                reverse("result-detail", args=[self.participant.pk]),
            ),
            (_("计分卡"), None),
        ]


class OverrideView(RoleRequiredMixin, ResultDetailView):
    """POST: set or change the grade with a reason. A refusal shows the participant
    page again with the form as typed and what was wrong."""

    roles = MANAGERS
    http_method_names = ["post"]

    def post(self, request, pk):
        participant = managed_participant(request.user, pk)
        form = OverrideForm(request.POST, cycle=participant.cycle)
        if form.is_valid():
            data = form.cleaned_data
            try:
                overrides.override_grade(
                    actor=request.user,
                    participant=participant,
                    grade=data["grade"],
                    reason=data["reason"],
                    version=data["version"],
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except StaleVersion as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("已将 %(name)s 的等次调整为“%(grade)s”，考核结果随之重新计算。")
                    % {"name": participant.secretary.name, "grade": data["grade"]},
                )
                return redirect("result-detail", pk=participant.pk)
        context = self.get_context_data(override_form=form)
        return self.render_to_response(context, status=400)


class ClearOverrideView(RoleRequiredMixin, View):
    roles = MANAGERS

    def post(self, request, pk):
        participant = managed_participant(request.user, pk)
        try:
            overrides.clear_override(
                actor=request.user,
                participant=participant,
                version=int_or_none(request.POST.get("version")),
            )
        except (ValidationError, StaleVersion) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
        else:
            messages.success(
                request,
                _("已撤销 %(name)s 的等次调整，恢复按规则评定的等次。")
                % {"name": participant.secretary.name},
            )
        return redirect("result-detail", pk=participant.pk)


urlpatterns = [
    path("cycles/<int:pk>/ranking/", RankingView.as_view(), name="ranking"),
    path("cycles/<int:pk>/recompute/", RecomputeView.as_view(), name="result-recompute"),
    path("cycles/<int:pk>/preview/", PreviewView.as_view(), name="result-preview"),
    path("results/<int:pk>/", ResultDetailView.as_view(), name="result-detail"),
    path("results/<int:pk>/card/", ResultCardView.as_view(), name="result-card"),
    path("results/<int:pk>/override/", OverrideView.as_view(), name="result-override"),
    path(
        "results/<int:pk>/override/clear/",
        ClearOverrideView.as_view(),
        name="result-override-clear",
    ),
]

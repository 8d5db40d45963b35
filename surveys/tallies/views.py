"""Survey pages for staff (issue 6): settings (K, double entry, category weights), paper
counts with double entry, return rates while the survey runs, aggregate results.
Services in surveys.tallies, reads in surveys.tallies.selectors."""

from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from assessment.services import may_manage
from core.pagination import PAGE_PARAM, SIZE_PARAM, paginate
from core.versioning import StaleVersion
from org.access import RoleRequiredMixin
from org.models import OrgUnit
from scoring.access import STAFF_ROLES, cycle_access
from surveys.models import PaperTally
from surveys.tallies import selectors
from surveys.tallies import services as tallies
from surveys.tallies.services import TallyStatus

KEYERS = tuple(tallies.KEYER_ROLES)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def staff_cycle(user, pk):
    """The cycle, if the user sees other people's data in it (staff over its county);
    404 otherwise."""
    cycle = get_object_or_404(
        Cycle.objects.for_user(user).select_related("county", "frozen_template"), pk=pk
    )
    if not cycle_access(user, cycle).sees_others or cycle.frozen_template_id is None:
        raise Http404
    return cycle


def crumbs(cycle, *trail):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        *trail,
    ]


def refusal(exc):
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]


class SurveySettingsView(RoleRequiredMixin, View):
    """测评设置: county managers edit (the service refuses others); other staff read."""

    roles = STAFF_ROLES

    def render_page(self, request, cycle, errors=(), data=None, current=None):
        settings = tallies.settings_of(cycle)
        categories = selectors.categories_of(cycle)
        data = data or {}
        for category in categories:
            category.entered = data.get(f"weight_{category.pk}", category.weight)
        return render(
            request,
            "surveys/settings.html",
            {
                "cycle": cycle,
                "settings": settings,
                "categories": categories,
                "manages": may_manage(request.user, cycle) and not cycle.is_locked,
                "errors": errors,
                "data": data,
                "current": current,
                "breadcrumbs": crumbs(cycle, (_("测评设置"), "")),
            },
        )

    def get(self, request, pk):
        return self.render_page(request, staff_cycle(request.user, pk))

    def post(self, request, pk):
        cycle = staff_cycle(request.user, pk)
        post = request.POST
        weights = {
            category.pk: post.get(f"weight_{category.pk}", "")
            for category in selectors.categories_of(cycle)
            if f"weight_{category.pk}" in post
        }
        try:
            tallies.update_settings(
                actor=request.user,
                cycle=cycle,
                version=_int(post.get("version")),
                min_group_size=post.get("min_group_size", ""),
                double_entry=post.get("double_entry") == "on",
                weights=weights,
            )
        except StaleVersion as exc:
            return self.render_page(request, cycle, refusal(exc), post, exc.current)
        except ValidationError as exc:
            return self.render_page(request, cycle, refusal(exc), post)
        messages.success(request, _("测评设置已保存。"))
        return redirect("survey-settings", pk=cycle.pk)


# The list's own parameters, which the entry form carries back to it (`back`).
LIST_PARAMS = ("status", "q", PAGE_PARAM, SIZE_PARAM)


def list_query(raw):
    """The tally list's query string from `back`, keeping only the list's parameters."""
    params = QueryDict(raw or "")
    return urlencode([(k, params[k]) for k in LIST_PARAMS if params.get(k)])


class PaperTallyListView(RoleRequiredMixin, View):
    """纸质票录入情况: per community and category, the state of the paper counts and the
    user's own keying, counted per state over every community, a page of rows at a time
    (SPEC §6), by state or a search. Another person's numbers are shown only to county
    managers and only on a mismatch, so the second keyer never copies the first (双人录入)."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = staff_cycle(request.user, pk)
        communities = selectors.staff_communities(request.user, cycle)
        groups = selectors.tally_groups(cycle, communities, selectors.categories_of(cycle))
        counts = Counter(group.status for group in groups)
        status = request.GET.get("status", "")
        if status in TallyStatus.values:
            groups = [group for group in groups if group.status == status]
        q = request.GET.get("q", "").strip()[:50]
        if q:
            groups = [g for g in groups if q in g.community.name or q in g.community.code]
        page = paginate(request, groups)
        for group in page.object_list:
            group.mine = group.own(request.user)
            group.may_key = tallies.may_key(request.user, group.community)
        return render(
            request,
            "surveys/tally_list.html",
            {
                "cycle": cycle,
                "groups": page.object_list,
                "page_obj": page,
                "counts": [(s, label, counts[s]) for s, label in TallyStatus.choices if counts[s]],
                "total": sum(counts.values()),
                "status": status,
                "q": q,
                "back": request.GET.urlencode(),
                "settings": tallies.settings_of(cycle),
                "manages": may_manage(request.user, cycle),
                "open": cycle.status in tallies.KEYING_STATUSES,
                "breadcrumbs": crumbs(cycle, (_("纸质票录入"), "")),
            },
        )


class PaperTallyEntryView(RoleRequiredMixin, View):
    """One person keys (or corrects) the paper counts of one community and category."""

    roles = KEYERS

    def target(self, request, pk):
        cycle = staff_cycle(request.user, pk)
        params = request.POST if request.method == "POST" else request.GET
        community = get_object_or_404(
            OrgUnit.objects.for_user(request.user, KEYERS).filter(
                pk__in=cycle.participants.values("community")
            ),
            pk=_int(params.get("community")),
        )
        category = get_object_or_404(
            cycle.frozen_template.survey_categories, pk=_int(params.get("category"))
        )
        return cycle, community, category

    def render_form(self, request, cycle, community, category, errors=(), data=None, **extra):
        own = PaperTally.objects.filter(
            cycle=cycle, community=community, category=category, keyed_by=request.user
        ).first()
        if data is None and own is not None:
            data = {field: getattr(own, field) for field in tallies.COUNT_FIELDS}
        return render(
            request,
            "surveys/tally_form.html",
            {
                "cycle": cycle,
                "community": community,
                "category": category,
                "own": own,
                "fields": [(f, tallies.COUNT_LABELS[f]) for f in tallies.COUNT_FIELDS],
                "data": data or {},
                "errors": errors,
                "settings": tallies.settings_of(cycle),
                "back": list_query(request.POST.get("back") or request.GET.get("back")),
                "breadcrumbs": crumbs(
                    cycle,
                    (_("纸质票录入"), reverse("paper-tallies", args=[cycle.pk])),
                    (f"{community.name} · {category.name}", ""),
                ),
                **extra,
            },
        )

    def get(self, request, pk):
        return self.render_form(request, *self.target(request, pk))

    def post(self, request, pk):
        cycle, community, category = self.target(request, pk)
        post = request.POST
        try:
            tallies.key_tally(
                actor=request.user,
                cycle=cycle,
                community=community,
                category=category,
                counts={f: post.get(f, "") for f in tallies.COUNT_FIELDS},
                version=_int(post.get("version")),
            )
        except StaleVersion as exc:
            return self.render_form(
                request, cycle, community, category, refusal(exc), post, current=exc.current
            )
        except ValidationError as exc:
            field_errors = getattr(exc, "error_dict", {})
            return self.render_form(
                request,
                cycle,
                community,
                category,
                refusal(exc),
                post,
                field_errors={f: " ".join(e[0].messages) for f, e in field_errors.items()},
            )
        group = selectors.tally_groups(cycle, [selectors.community_of(community)], [category])[0]
        messages.success(
            request,
            _("已保存%(community)s“%(category)s”的纸质票计数，当前状态：%(status)s。")
            % {
                "community": community.name,
                "category": category.name,
                "status": group.status.label,
            },
        )
        back = list_query(post.get("back"))
        return redirect(
            reverse("paper-tallies", args=[cycle.pk])
            + (f"?{back}" if back else "")
            + f"#tally-{community.pk}-{category.pk}"
        )


class ReturnRatesView(RoleRequiredMixin, View):
    """回收率: tokens issued and used, return rate, paper ballots; per town and county,
    and per community a page at a time (SPEC §6)."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = staff_cycle(request.user, pk)
        communities = selectors.staff_communities(request.user, cycle)
        per_community, towns, county = selectors.return_rates(cycle, communities)
        page = paginate(request, per_community)
        return render(
            request,
            "surveys/results_return_rates.html",
            {
                "cycle": cycle,
                "communities": page.object_list,
                "page_obj": page,
                "towns": towns,
                "county": county,
                "breadcrumbs": crumbs(cycle, (_("测评回收率"), "")),
            },
        )


class SurveyResultsView(LoginRequiredMixin, View):
    """测评结果: per community, categories below K hidden."""

    def get(self, request, pk):
        cycle = get_object_or_404(
            Cycle.objects.for_user(request.user).select_related("county", "frozen_template"),
            pk=pk,
        )
        audience = selectors.results_audience(request.user, cycle)
        # Staff asking while the survey runs learn when results come, nothing more.
        running = audience is None and cycle_access(request.user, cycle).sees_others
        if audience is None and not running:
            raise Http404
        return render(
            request,
            "surveys/results.html",
            {
                "cycle": cycle,
                "running": running,
                "results": selectors.aggregate_results(cycle, audience) if audience else [],
                "comments": audience.comments if audience else False,
                "breadcrumbs": crumbs(cycle, (_("测评结果"), "")),
            },
        )


urlpatterns = [
    path("cycles/<int:pk>/settings/", SurveySettingsView.as_view(), name="survey-settings"),
    path("cycles/<int:pk>/tallies/", PaperTallyListView.as_view(), name="paper-tallies"),
    path("cycles/<int:pk>/tallies/entry/", PaperTallyEntryView.as_view(), name="paper-tally-entry"),
    path("cycles/<int:pk>/return-rates/", ReturnRatesView.as_view(), name="survey-return-rates"),
    path("cycles/<int:pk>/results/", SurveyResultsView.as_view(), name="survey-results"),
]

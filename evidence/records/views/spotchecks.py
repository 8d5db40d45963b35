"""Pages of 核查 (record checks, SPEC §2 Record checks): a cycle's checks, drawing a
sample, and one check's records to mark 属实 / 不实 (and to report a deduction event for
a 不实 one). Services decide; these views look objects up in the user's scope (404
outside) and show the services' answers."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle, CycleStatus
from assessment.selectors import cycle_crumbs
from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import apply_validation_error, report_refusal
from evidence.models import SpotCheck, SpotCheckItem, SpotCheckKinds, SpotCheckVerdict
from evidence.records import selectors, services
from evidence.records.forms import SpotCheckDrawForm, SpotCheckMarkForm, VersionForm
from indicators.models import EventType
from org.access import RoleRequiredMixin

CHECKERS = tuple(selectors.CHECKER_ROLES)


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def list_crumbs(cycle, *more):
    return [
        *cycle_crumbs(cycle),
        (_("记录核查"), reverse("spotcheck-list", args=[cycle.pk])),
        *more,
    ]


def draws_in(cycle):
    """A sample may be drawn in a started cycle that is not yet published."""
    return cycle.status != CycleStatus.DRAFT and not cycle.is_locked


class SpotCheckListView(LoginRequiredMixin, View):
    """The cycle's checks the user sees: checkers and observers those of their scope, a
    secretary those of their community that are finished; newest first, a page at a
    time (SPEC §6)."""

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        may_draw = draws_in(cycle) and selectors.checkable_communities(request.user, cycle).exists()
        page = paginate(request, selectors.cycle_spot_checks(request.user, cycle))
        return render(
            request,
            "evidence/records/spotcheck_list.html",
            {
                "cycle": cycle,
                "checks": page.object_list,
                "page_obj": page,
                "may_draw": may_draw,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("记录核查"), "")],
            },
        )


class SpotCheckDrawView(RoleRequiredMixin, View):
    """Draw a sample: community, period, which records, how many, and the event type a
    不实 record may be reported as."""

    roles = CHECKERS

    def render_form(self, request, cycle, form):
        return render(
            request,
            "evidence/records/spotcheck_form.html",
            {
                "cycle": cycle,
                "form": form,
                "breadcrumbs": list_crumbs(cycle, (_("抽取核查样本"), "")),
            },
        )

    def make_form(self, request, cycle, data=None):
        event_types = EventType.objects.filter(
            template_id=cycle.frozen_template_id, points__lt=0, leaf__isnull=False
        ).order_by("code")
        first, last = selectors.cycle_period(cycle)
        last_used = (
            SpotCheck.objects.filter(cycle=cycle, deduction_type__isnull=False)
            .order_by("-drawn_at", "-pk")
            .values_list("deduction_type", flat=True)
            .first()
        )
        initial = {
            "period_start": first,
            "period_end": min(last, max(first, timezone.localdate())),
            "kinds": SpotCheckKinds.ALL,
            "share": services.DEFAULT_SAMPLE.share,
            "minimum": services.DEFAULT_SAMPLE.minimum,
            "deduction_type": last_used,
        }
        return SpotCheckDrawForm(
            data,
            initial=initial,
            communities=selectors.checkable_communities(request.user, cycle).order_by("path"),
            event_types=event_types,
        )

    def checked_cycle(self, request, pk):
        """The cycle, if the user may check one of its communities (else 404)."""
        cycle = visible_cycle(request.user, pk)
        if not selectors.checkable_communities(request.user, cycle).exists():
            raise Http404
        return cycle

    def get(self, request, pk):
        cycle = self.checked_cycle(request, pk)
        return self.render_form(request, cycle, self.make_form(request, cycle))

    def post(self, request, pk):
        cycle = self.checked_cycle(request, pk)
        form = self.make_form(request, cycle, request.POST)
        if not form.is_valid():
            return self.render_form(request, cycle, form)
        try:
            check = services.draw_spot_check(actor=request.user, cycle=cycle, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_form(request, cycle, form)
        messages.success(
            request,
            _(
                "已从%(community)s %(start)s 至 %(end)s 的 %(total)d 条记录中随机抽取 "
                "%(size)d 条，请逐条核查。"
            )
            % {
                "community": check.community.name,
                "start": check.period_start,
                "end": check.period_end,
                "total": len(check.population),
                "size": check.items.count(),
            },
        )
        return redirect("spotcheck-detail", pk=check.pk)


def visible_check(user, pk):
    return get_object_or_404(
        SpotCheck.objects.for_user(user).select_related(
            "cycle__county", "community", "drawn_by", "deduction_type"
        ),
        pk=pk,
    )


class SpotCheckDetailView(LoginRequiredMixin, View):
    """One check: how it was drawn, and each sampled record with its verdict. A checker
    of the community marks here the records they neither wrote nor closed."""

    def get(self, request, pk):
        check = visible_check(request.user, pk)
        items = selectors.check_items(check)
        marks = draws_in(check.cycle) and selectors.may_check(request.user, check.community)
        for item in items:
            item.own = selectors.is_own_record(request.user, item)
            item.markable = marks and not item.own
            item.awaits_deduction = (
                marks
                and item.verdict == SpotCheckVerdict.REFUTED
                and item.deduction_event_id is None
                and check.deduction_type_id is not None
            )
            item.offers_deduction = item.awaits_deduction and check.finished_at is not None
        return render(
            request,
            "evidence/records/spotcheck_detail.html",
            {
                "check": check,
                "cycle": check.cycle,
                "items": items,
                "marks": marks,
                "verdicts": SpotCheckVerdict,
                "marked": sum(1 for i in items if i.verdict != SpotCheckVerdict.PENDING),
                "refuted": sum(1 for i in items if i.verdict == SpotCheckVerdict.REFUTED),
                "breadcrumbs": list_crumbs(check.cycle, (str(check), "")),
            },
        )


def visible_item(user, pk):
    return get_object_or_404(
        SpotCheckItem.objects.for_user(user).select_related("spot_check"), pk=pk
    )


def back_to(item):
    return redirect(f"{reverse('spotcheck-detail', args=[item.spot_check_id])}#item-{item.pk}")


class SpotCheckMarkView(RoleRequiredMixin, View):
    """属实 / 不实 for one sampled record."""

    roles = CHECKERS
    http_method_names = ["post"]

    def post(self, request, pk):
        item = visible_item(request.user, pk)
        form = SpotCheckMarkForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查填写的内容。"))
            return back_to(item)
        try:
            marked = services.mark_spot_check_item(
                actor=request.user, item=item, **form.cleaned_data
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
            return back_to(item)
        text = _("第 %(n)d 条（%(record)s）已标记为“%(verdict)s”。") % {
            "n": marked.position,
            "record": services.describe(marked.record),
            "verdict": marked.get_verdict_display(),
        }
        if marked.verdict == SpotCheckVerdict.REFUTED:
            text += _("该记录不再计入按记录统计的数据项，相关考核结果将重新计算。")
        messages.success(request, text)
        return back_to(marked)


class SpotCheckDeductionView(RoleRequiredMixin, View):
    """Report the check's deduction type for a 不实 record (待核实: four eyes)."""

    roles = CHECKERS
    http_method_names = ["post"]

    def post(self, request, pk):
        item = visible_item(request.user, pk)
        form = VersionForm(request.POST)
        form.is_valid()
        try:
            event = services.report_spot_check_deduction(
                actor=request.user, item=item, version=form.cleaned_data.get("version")
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
            return back_to(item)
        messages.success(
            request,
            _("已报告扣分事项“%(type)s”（%(who)s），状态为待核实，须由其他考核员核实后才扣分。")
            % {"type": event.event_type.name, "who": event.participant},
        )
        return back_to(item)

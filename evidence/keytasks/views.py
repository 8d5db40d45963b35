"""Key-task pages (重点工作 / 挂图作战, SPEC §2): the cycle's task list, a task with its
communities and reports, the board, the 约谈 list, and the progress report form of a
community's secretary (or its town assessor). Rules live in the services."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from assessment.selectors import managed_cycle
from assessment.services import MANAGER_ROLES as MANAGERS
from assessment.services import may_manage
from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import apply_validation_error, int_or_none, report_refusal
from evidence.keytasks import selectors, services
from evidence.keytasks.forms import KeyTaskCreateForm, KeyTaskForm, PlanForm, ProgressForm
from evidence.keytasks.status import Status
from evidence.models import KeyTask, KeyTaskAssignment
from org.access import RoleRequiredMixin
from org.scope import Role
from scoring.access import STAFF_ROLES

REPORTERS = (Role.SECRETARY, Role.TOWN_ASSESSOR)


def cycle_crumbs(cycle, *more):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        (_("重点工作"), reverse("keytask-list", args=[cycle.pk])),
        *more,
    ]


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def visible_task(user, pk):
    return get_object_or_404(
        KeyTask.objects.for_user(user).select_related(
            "cycle__county", "on_time_type", "late_type", "created_by"
        ),
        pk=pk,
    )


def managed_task(user, pk):
    task = visible_task(user, pk)
    if not may_manage(user, task.cycle):
        raise Http404
    return task


def visible_assignment(user, pk):
    return get_object_or_404(
        KeyTaskAssignment.objects.for_user(user).select_related(
            "task__cycle__county", "community__parent"
        ),
        pk=pk,
    )


def as_of(request):
    """The board's "as of" day: ?on=YYYY-MM-DD, today by default."""
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


class KeyTaskListView(LoginRequiredMixin, View):
    """The cycle's tasks with how their communities stand today; a secretary's own
    community's assignments first, with a button to report progress."""

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        today = timezone.localdate()
        manages = may_manage(request.user, cycle)
        tasks = list(selectors.visible_tasks(request.user, cycle, manages=manages))
        cells = selectors.states(selectors.visible_assignments(request.user, cycle), today)
        counts = {task.pk: dict.fromkeys(Status, 0) for task in tasks}
        for state in cells:
            counts.setdefault(state.assignment.task_id, dict.fromkeys(Status, 0))[state.status] += 1
        may_report = services.reporter_check(request.user)
        own = [s for s in cells if may_report(s.assignment)]
        return render(
            request,
            "evidence/keytasks/task_list.html",
            {
                "cycle": cycle,
                "rows": [(task, counts[task.pk]) for task in tasks],
                "own": own,
                "manages": manages and not cycle.is_locked,
                "breadcrumbs": cycle_crumbs(cycle)[:-1] + [(_("重点工作"), "")],
            },
        )


class KeyTaskCreateView(RoleRequiredMixin, View):
    """A county manager assigns a new task to communities."""

    roles = MANAGERS

    def render_form(self, request, cycle, form):
        return render(
            request,
            "evidence/keytasks/task_form.html",
            {
                "cycle": cycle,
                "form": form,
                "breadcrumbs": cycle_crumbs(cycle, (_("新建重点工作"), "")),
            },
        )

    def get(self, request, pk):
        cycle = managed_cycle(request.user, pk)
        return self.render_form(request, cycle, KeyTaskCreateForm(user=request.user, cycle=cycle))

    def post(self, request, pk):
        cycle = managed_cycle(request.user, pk)
        form = KeyTaskCreateForm(request.POST, user=request.user, cycle=cycle)
        if form.is_valid():
            plans = form.plans()
            try:
                task = services.create_task(
                    actor=request.user,
                    cycle=cycle,
                    assignments=[(c, plans) for c in form.chosen_communities()],
                    **form.task_fields(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc, {"assignments": "communities"})
            else:
                messages.success(request, _("已创建重点工作“%(title)s”。") % {"title": task.title})
                return redirect("keytask-detail", pk=task.pk)
        return self.render_form(request, cycle, form)


# Each community of a task is a card with its plan form and reports: fewer to a page.
ASSIGNMENT_PAGE_SIZES = (20, 50, 100)


class KeyTaskDetailView(LoginRequiredMixin, View):
    """The task, how its communities within the user's scope stand today (counted per
    status), and a page of them (SPEC §6) — by town, status or a search — each with its
    plan, status and reports with their evidence files."""

    def get(self, request, pk):
        task = visible_task(request.user, pk)
        assignments = (
            KeyTaskAssignment.objects.for_user(request.user)
            .filter(task=task)
            .select_related("task", "community__parent")
            .order_by("community__path")
        )
        # Statuses need every assignment's history (two queries); only the page's
        # assignments have their reports and files read.
        cells = selectors.states(assignments, timezone.localdate())
        counts = dict.fromkeys(Status, 0)
        for state in cells:
            counts[state.status] += 1
        chosen = selectors.AssignmentFilter.from_query(request.GET)
        page = paginate(request, chosen.apply(cells), ASSIGNMENT_PAGE_SIZES)
        prefetch_related_objects(
            [state.assignment for state in page.object_list],
            "reports__reported_by",
            "reports__attachments",
        )
        manages = may_manage(request.user, task.cycle) and not task.cycle.is_locked
        may_report = services.reporter_check(request.user)
        return render(
            request,
            "evidence/keytasks/task_detail.html",
            {
                "task": task,
                "cycle": task.cycle,
                "cells": [(s, may_report(s.assignment)) for s in page.object_list],
                "page_obj": page,
                "total": len(cells),
                "counts": [(s, selectors.STATUS_LABELS[s], counts[s]) for s in Status],
                "chosen": chosen,
                "towns": selectors.towns(request.user, task.cycle) if len(cells) > 1 else [],
                "manages": manages,
                "breadcrumbs": cycle_crumbs(task.cycle, (task.title, "")),
            },
        )


class KeyTaskEditView(RoleRequiredMixin, View):
    """Title, requirements, deadline and event types of a task."""

    roles = MANAGERS

    def render_form(self, request, task, form, current=None):
        return render(
            request,
            "evidence/keytasks/task_edit.html",
            {
                "task": task,
                "cycle": task.cycle,
                "form": form,
                "current": current,
                "breadcrumbs": cycle_crumbs(
                    task.cycle,
                    (task.title, reverse("keytask-detail", args=[task.pk])),
                    (_("修改"), ""),
                ),
            },
        )

    def get(self, request, pk):
        task = managed_task(request.user, pk)
        initial = {f: getattr(task, f) for f in services.TASK_FIELDS}
        form = KeyTaskForm(initial=initial, cycle=task.cycle)
        return self.render_form(request, task, form)

    def post(self, request, pk):
        task = managed_task(request.user, pk)
        form = KeyTaskForm(request.POST, cycle=task.cycle)
        if form.is_valid():
            try:
                services.update_task(
                    actor=request.user,
                    task=task,
                    version=int_or_none(request.POST.get("version")),
                    **form.task_fields(),
                )
            except StaleVersion as exc:
                form.add_error(None, str(exc))
                return self.render_form(request, task, form, current=exc.current)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("keytask-detail", pk=task.pk)
        return self.render_form(request, task, form)


class KeyTaskDeleteView(RoleRequiredMixin, View):
    roles = MANAGERS
    http_method_names = ["post"]

    def post(self, request, pk):
        task = managed_task(request.user, pk)
        try:
            services.delete_task(
                actor=request.user, task=task, version=int_or_none(request.POST.get("version"))
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
            return redirect("keytask-detail", pk=task.pk)
        messages.success(request, _("已删除重点工作“%(title)s”。") % {"title": task.title})
        return redirect("keytask-list", pk=task.cycle_id)


def managed_assignment(user, pk):
    assignment = visible_assignment(user, pk)
    if not may_manage(user, assignment.task.cycle):
        raise Http404
    return assignment


class AssignmentPlanView(RoleRequiredMixin, View):
    """New planned progress for one community."""

    roles = MANAGERS
    http_method_names = ["post"]

    def post(self, request, pk):
        assignment = managed_assignment(request.user, pk)
        form = PlanForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("计划进度请填写 0 至 100 的整数。"))
        else:
            try:
                services.set_plans(
                    actor=request.user,
                    assignment=assignment,
                    version=form.cleaned_data["version"],
                    plans=form.plans(),
                )
            except (ValidationError, StaleVersion) as exc:
                report_refusal(request, exc)
            else:
                messages.success(
                    request,
                    _("已修改%(community)s的计划进度。") % {"community": assignment.community.name},
                )
        return redirect(reverse("keytask-detail", args=[assignment.task_id]) + f"#a{assignment.pk}")


class AssignmentRemoveView(RoleRequiredMixin, View):
    roles = MANAGERS
    http_method_names = ["post"]

    def post(self, request, pk):
        assignment = managed_assignment(request.user, pk)
        try:
            services.remove_assignment(
                actor=request.user,
                assignment=assignment,
                version=int_or_none(request.POST.get("version")),
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(
                request,
                _("已将%(community)s移出这项任务。") % {"community": assignment.community.name},
            )
        return redirect("keytask-detail", pk=assignment.task_id)


class ProgressReportView(RoleRequiredMixin, View):
    """The community's secretary (or its town assessor) reports cumulative progress
    with evidence files; made to work on a phone."""

    roles = REPORTERS

    def assignment(self, request, pk):
        assignment = visible_assignment(request.user, pk)
        if not services.may_report(request.user, assignment):
            raise Http404
        return assignment

    def render_form(self, request, assignment, form):
        task = assignment.task
        return render(
            request,
            "evidence/keytasks/progress_form.html",
            {
                "assignment": assignment,
                "task": task,
                "cycle": task.cycle,
                "form": form,
                "reports": assignment.reports.select_related("reported_by").prefetch_related(
                    "attachments"
                ),
                "breadcrumbs": cycle_crumbs(
                    task.cycle,
                    (task.title, reverse("keytask-detail", args=[task.pk])),
                    (_("报告进度"), ""),
                ),
            },
        )

    def get(self, request, pk):
        assignment = self.assignment(request, pk)
        initial = {
            "progress": assignment.progress,
            "reported_on": services.default_report_day(assignment.task.cycle),
        }
        return self.render_form(request, assignment, ProgressForm(initial=initial))

    def post(self, request, pk):
        assignment = self.assignment(request, pk)
        form = ProgressForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.report_progress(
                    actor=request.user,
                    assignment=assignment,
                    uploads=request.FILES.getlist("files"),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已报告%(community)s的累计进度 %(progress)d%%。")
                    % {"community": assignment.community.name, "progress": outcome.report.progress},
                )
                if outcome.event is not None:
                    messages.info(
                        request,
                        _("已生成“%(type)s”事项，待核实后计分。")
                        % {"type": outcome.event.event_type.name},
                    )
                if outcome.notice:
                    messages.warning(request, outcome.notice)
                return redirect("keytask-detail", pk=assignment.task_id)
        return self.render_form(request, assignment, form)


class BoardView(RoleRequiredMixin, View):
    """挂图作战: communities × tasks coloured by status on the "as of" day; the counts
    over every community, the rows a page at a time (SPEC §6; one town fits a page)."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        on = as_of(request)
        towns = list(selectors.towns(request.user, cycle))
        town = next((t for t in towns if t.pk == int_or_none(request.GET.get("town"))), None)
        board = selectors.board(request.user, cycle, on, town)
        page = paginate(request, board.rows)
        return render(
            request,
            "evidence/keytasks/board.html",
            {
                "cycle": cycle,
                "board": board,
                "rows": page.object_list,
                "page_obj": page,
                "towns": towns,
                "town": town,
                "legend": selectors.legend(board.counts),
                "breadcrumbs": cycle_crumbs(cycle, (_("挂图作战"), "")),
            },
        )


class SummonsView(RoleRequiredMixin, View):
    """约谈名单: communities past a task's deadline without finishing it, most overdue
    first, a page at a time (SPEC §6)."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        on = as_of(request)
        page = paginate(request, selectors.summons(request.user, cycle, on))
        return render(
            request,
            "evidence/keytasks/summons.html",
            {
                "cycle": cycle,
                "on": on,
                "rows": page.object_list,
                "page_obj": page,
                "breadcrumbs": cycle_crumbs(cycle, (_("约谈名单"), "")),
            },
        )

"""社区工作者名册: a community's staff with their social-work certificates, which 社工持证率
counts. Its county's admins and assessors and its town's assessors keep it — one person
at a time or pasted from Excel; those who read the community read it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, ServiceFormMixin, int_or_none, report_refusal
from org import services
from org.access import RoleRequiredMixin
from org.forms import WorkerForm, WorkerPasteForm
from org.models import CommunityWorker, OrgUnit, OrgUnitKind
from org.scope import Role

READERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)
EDITORS = tuple(services.WORKER_EDITORS)


def community_in_reach(user, pk, roles=READERS):
    return get_object_or_404(
        OrgUnit.objects.for_user(user, roles=roles).filter(kind=OrgUnitKind.COMMUNITY),
        pk=pk,
    )


def roster_crumbs(community):
    return [
        (_("组织架构"), reverse("orgunit-list")),
        (community.name, reverse("orgunit-detail", args=[community.pk])),
        (_("社区工作者名册"), reverse("worker-list", args=[community.pk])),
    ]


class WorkerListView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    """The roster, current staff first, with the community's 持证率 today."""

    roles = READERS
    template_name = "org/worker_list.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.community = None

    def get(self, request, *args, **kwargs):
        self.community = community_in_reach(request.user, kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Shown again by WorkerAddView with the refused form.
        return self.get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        community = self.community
        today = timezone.localdate()
        workers = list(CommunityWorker.objects.filter(community=community).order_by("name"))
        current = [
            w for w in workers if w.started_on <= today and (not w.ended_on or w.ended_on >= today)
        ]
        former = [w for w in workers if w not in current]
        certified = sum(
            w.has_certificate and (w.certificate_date is None or w.certificate_date <= today)
            for w in current
        )
        context.update(
            community=community,
            current=current,
            former=former,
            certified=certified,
            rate=round(certified * 100 / len(current), 2) if current else None,
            editable=services.may_keep_roster(self.request.user, community),
            form=kwargs.get("form") or WorkerForm(),
            paste_form=kwargs.get("paste_form") or WorkerPasteForm(),
        )
        return context

    def get_breadcrumbs(self):
        return roster_crumbs(self.community)[:-1] + [(_("社区工作者名册"), None)]


class WorkerAddView(RoleRequiredMixin, View):
    """POST one new person, or a paste of rows (action=paste)."""

    roles = EDITORS

    def post(self, request, pk):
        community = community_in_reach(request.user, pk, roles=EDITORS)
        page = WorkerListView.as_view()
        if request.POST.get("action") == "paste":
            paste = WorkerPasteForm(request.POST)
            if paste.is_valid():
                try:
                    added, changed = services.import_workers(
                        actor=request.user, community=community, text=paste.cleaned_data["text"]
                    )
                except ValidationError as exc:
                    for message in exc.messages:
                        paste.add_error("text", message)
                else:
                    messages.success(
                        request,
                        _("已导入名册：新增 %(a)d 人，更新 %(c)d 人。")
                        % {"a": added, "c": changed},
                    )
                    return redirect("worker-list", pk=community.pk)
            return page(request, pk=pk, paste_form=paste)
        form = WorkerForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("version")
            try:
                worker = services.save_worker(
                    actor=request.user, worker=CommunityWorker(community=community, **data)
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已将“%(name)s”加入名册。") % {"name": worker.name})
                return redirect("worker-list", pk=community.pk)
        return page(request, pk=pk, form=form)


def editable_worker(user, pk):
    worker = get_object_or_404(
        CommunityWorker.objects.for_user(user, roles=EDITORS).select_related("community"),
        pk=pk,
    )
    if not services.may_keep_roster(user, worker.community):
        raise Http404
    return worker


class WorkerEditView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    roles = EDITORS
    form_class = WorkerForm
    template_name = "org/worker_form.html"

    @cached_property
    def worker(self):
        # Looked up once the login and role checks passed (a stranger is sent to log
        # in, a role without the page gets 403, an object out of scope 404).
        return editable_worker(self.request.user, self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editing": True}

    def get_initial(self):
        w = self.worker
        return {
            "name": w.name,
            "post": w.post,
            "started_on": w.started_on,
            "ended_on": w.ended_on,
            "has_certificate": w.has_certificate,
            "certificate_date": w.certificate_date,
            "version": w.version,
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        worker = self.worker
        for field, value in data.items():
            setattr(worker, field, value)
        saved, refused = self.run_service(
            form,
            lambda: services.save_worker(actor=self.request.user, worker=worker, version=version),
        )
        if refused:
            return refused
        messages.success(self.request, _("已保存“%(name)s”。") % {"name": saved.name})
        return redirect("worker-list", pk=saved.community_id)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "worker": self.worker}

    def get_breadcrumbs(self):
        return [*roster_crumbs(self.worker.community), (self.worker.name, None)]


class WorkerDeleteView(RoleRequiredMixin, View):
    """POST: remove a person entered by mistake."""

    roles = EDITORS

    def post(self, request, pk):
        worker = editable_worker(request.user, pk)
        try:
            services.delete_worker(
                actor=request.user, worker=worker, version=int_or_none(request.POST.get("version"))
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(request, _("已从名册删除“%(name)s”。") % {"name": worker.name})
        return redirect("worker-list", pk=worker.community_id)

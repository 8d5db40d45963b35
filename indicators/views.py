"""指标体系: the template list and the browser editor (tree table edited in place with
htmx, anchors, event types, metrics, survey categories).

Everyone in a county reads its templates; admins and county assessors edit them. Each
edit posts one row or panel and gets back the fragment to swap in; the services decide,
and a released template is edited in its next edition.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin
from indicators import services
from indicators.forms import (
    BarsForm,
    CategoryForm,
    EventTypeForm,
    MetricForm,
    NewNodeForm,
    NodeDetailForm,
    NodeForm,
    TemplateCreateForm,
    template_sources,
)
from indicators.models import (
    EventType,
    IndicatorNode,
    IndicatorTemplate,
    MetricDefinition,
    SurveyCategory,
)
from indicators.selectors import editor_state
from indicators.starter import STARTERS, build
from org.access import RoleRequiredMixin
from org.models import OrgUnit, OrgUnitKind
from org.scope import scope_of

EDITORS = tuple(services.EDITOR_ROLES)


def editable_templates(user):
    return IndicatorTemplate.objects.for_user(user, roles=services.EDITOR_ROLES).filter(
        is_frozen=False
    )


class TemplateListView(LoginRequiredMixin, BreadcrumbsMixin, ListView):
    template_name = "indicators/template_list.html"
    paginate_by = 50

    def get_queryset(self):
        qs = IndicatorTemplate.objects.for_user(self.request.user).filter(is_frozen=False)
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(name__icontains=q)
        return (
            qs.select_related("county")
            .annotate(
                n_nodes=Count("nodes", distinct=True), n_cycles=Count("cycles", distinct=True)
            )
            .order_by("county__code", "name", "-edition")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = scope_of(self.request.user).has_role(*EDITORS)
        return context

    def get_breadcrumbs(self):
        return [(_("指标体系"), None)]


class TemplateCreateView(RoleRequiredMixin, BreadcrumbsMixin, FormView):
    roles = EDITORS
    template_name = "indicators/template_create.html"
    form_class = TemplateCreateForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        user = self.request.user
        kwargs["counties"] = OrgUnit.objects.for_user(user, roles=services.EDITOR_ROLES).filter(
            kind=OrgUnitKind.COUNTY
        )
        kwargs["starters"] = STARTERS
        kwargs["sources"] = template_sources(user).select_related("county")
        return kwargs

    def form_valid(self, form):
        user, data = self.request.user, form.cleaned_data
        county, start = data["county"], data["start"]
        try:
            if start == form.START_BLANK:
                template = services.create_template(actor=user, county=county, name=data["name"])
            elif start.startswith("starter:"):
                spec = {**STARTERS[int(start.split(":")[1])], "name": data["name"]}
                template = build(actor=user, county=county, spec=spec)
            else:
                source = get_object_or_404(template_sources(user), pk=int(start.split(":")[1]))
                if source.county_id != county.pk:
                    raise ValidationError(_("只能复制本县/区的指标体系。"))
                template = services.clone_template(actor=user, template=source, name=data["name"])
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
            return self.form_invalid(form)
        messages.success(self.request, _("已创建指标体系“%(name)s”。") % {"name": template.name})
        return redirect("template-detail", pk=template.pk)

    def get_breadcrumbs(self):
        return [(_("指标体系"), reverse("template-list")), (_("新建"), None)]


class TemplateEditorView(LoginRequiredMixin, BreadcrumbsMixin, TemplateView):
    template_name = "indicators/editor.html"

    def get(self, request, *args, **kwargs):
        self.template_obj = get_object_or_404(
            IndicatorTemplate.objects.for_user(request.user).select_related("county"),
            pk=kwargs["pk"],
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template = self.template_obj
        context.update(editor_context(self.request.user, template))
        context["editions"] = IndicatorTemplate.objects.filter(
            lineage=template.lineage, is_frozen=False
        ).order_by("edition")
        context["used_by"] = template.cycles.all()
        return context

    def get_breadcrumbs(self):
        return [(_("指标体系"), reverse("template-list")), (str(self.template_obj), None)]


def editor_context(user, template):
    may_edit = services.may_edit(user, template)
    return {
        "tpl": template,
        "state": editor_state(template),
        "may_edit": may_edit,
        "editable": may_edit and not template.is_frozen and not template.released,
        "event_types": template.event_types.select_related("leaf").order_by("code"),
        "metrics": template.metrics.order_by("key"),
        "categories": template.survey_categories.all(),
        "deduction_leaves": template.nodes.filter(method=IndicatorNode.Methods.DEDUCTION),
        "methods": IndicatorNode.Methods.choices,
        "sources": MetricDefinition.Source.choices,
    }


class EditorEndpoint(RoleRequiredMixin, View):
    """Base of the editor's POST endpoints: editors only (403), objects in their scope
    (404), service refusals shown in the fragment, a new edition followed by a redirect."""

    roles = EDITORS

    def template_for(self, pk):
        return get_object_or_404(editable_templates(self.request.user), pk=pk)

    def node_for(self, pk):
        return get_object_or_404(
            IndicatorNode.objects.for_user(self.request.user, roles=services.EDITOR_ROLES)
            .filter(template__is_frozen=False)
            .select_related("template__county"),
            pk=pk,
        )

    def respond(self, template, fragment, error=None, **extra):
        """Render `fragment`, or send the browser to the edition the edit landed in."""
        current = IndicatorTemplate.objects.select_related("county").get(pk=template.pk)
        context = {**editor_context(self.request.user, current), "error": error, **extra}
        return render(self.request, fragment, context)

    def follow(self, requested, result_template):
        if result_template.pk != requested.pk:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("template-detail", args=[result_template.pk])
            return response
        return None


class NodeCreate(EditorEndpoint):
    def post(self, request, pk):
        template = self.template_for(pk)
        form = NewNodeForm(request.POST)
        if not form.is_valid():
            return self.respond(
                template, "indicators/_tree.html", error=_("新指标的分值需要是数字。")
            )
        parent = None
        if form.cleaned_data["parent"]:
            parent = get_object_or_404(template.nodes, pk=form.cleaned_data["parent"])
        try:
            node = services.add_node(
                actor=request.user,
                template=template,
                parent=parent,
                name=form.cleaned_data["name"],
                points=form.cleaned_data["points"],
            )
        except ValidationError as exc:
            return self.respond(template, "indicators/_tree.html", error=" ".join(exc.messages))
        return self.follow(template, node.template) or self.respond(
            template, "indicators/_tree.html", focus=node.pk
        )


class NodeUpdate(EditorEndpoint):
    """One row (or the detail panel) saved; answers with the whole tree, whose inputs keep
    their ids so the browser keeps focus and the cursor where the person is typing."""

    def post(self, request, pk):
        node = self.node_for(pk)
        template = node.template
        form = NodeForm(request.POST, template=template)
        if not form.is_valid():
            errors = "；".join(
                f"{form.fields[f].label}：{' '.join(e)}"
                for f, e in form.errors.items()
                if f in form.fields
            )
            return self.respond(
                template,
                "indicators/_tree.html",
                error=_("%(node)s 未保存：%(errors)s") % {"node": node.code, "errors": errors},
            )
        try:
            saved = services.update_node(
                actor=request.user,
                node=node,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
        except StaleVersion:
            return self.respond(
                template,
                "indicators/_tree.html",
                error=_("指标 %(code)s 已被他人修改，已显示最新内容，请核对后再改。")
                % {"code": node.code},
            )
        except ValidationError as exc:
            return self.respond(template, "indicators/_tree.html", error=" ".join(exc.messages))
        return self.follow(template, saved.template) or self.respond(
            template, "indicators/_tree.html"
        )


class NodeShift(EditorEndpoint):
    def post(self, request, pk):
        node = self.node_for(pk)
        template = node.template
        try:
            moved = services.shift_node(
                actor=request.user,
                node=node,
                version=int(request.POST.get("version", 0)),
                direction=request.POST.get("direction", ""),
            )
        except StaleVersion:
            return self.respond(
                template, "indicators/_tree.html", error=_("该指标已被他人修改，已显示最新内容。")
            )
        except ValidationError as exc:
            return self.respond(template, "indicators/_tree.html", error=" ".join(exc.messages))
        return self.follow(template, moved.template) or self.respond(
            template, "indicators/_tree.html", focus=moved.pk
        )


class NodeDelete(EditorEndpoint):
    def post(self, request, pk):
        node = self.node_for(pk)
        template = node.template
        try:
            result = services.delete_node(
                actor=request.user, node=node, version=int(request.POST.get("version", 0))
            )
        except StaleVersion:
            return self.respond(
                template, "indicators/_tree.html", error=_("该指标已被他人修改，已显示最新内容。")
            )
        except ValidationError as exc:
            return self.respond(template, "indicators/_tree.html", error=" ".join(exc.messages))
        return self.follow(template, result) or self.respond(template, "indicators/_tree.html")


class NodeDetail(EditorEndpoint):
    """The panel under a row: 评分标准 text and behaviour anchors (BARS). Everyone who
    reads the template reads the panel; editors save it."""

    open_methods = frozenset({"get"})

    def get(self, request, pk):
        node = get_object_or_404(
            IndicatorNode.objects.for_user(request.user).select_related("template__county"), pk=pk
        )
        return render(request, "indicators/_node_detail.html", self.detail_context(node))

    def detail_context(self, node, error=None):
        template = node.template
        return {
            "node": node,
            "levels": list(node.bars_levels.all()),
            "error": error,
            "editable": services.may_edit(self.request.user, template) and not template.released,
        }

    def post(self, request, pk):
        node = self.node_for(pk)
        bars = BarsForm(request.POST)
        form = NodeDetailForm(request.POST)
        if not (bars.is_valid() and form.is_valid()):
            errors = [*bars.non_field_errors(), *[" ".join(e) for e in form.errors.values()]]
            return render(
                request, "indicators/_node_detail.html", self.detail_context(node, " ".join(errors))
            )
        try:
            saved = services.update_node(
                actor=request.user,
                node=node,
                version=form.cleaned_data["version"],
                description=form.cleaned_data["description"],
            )
            services.set_bars_levels(actor=request.user, node=saved, levels=bars.levels)
        except StaleVersion:
            return render(
                request,
                "indicators/_node_detail.html",
                self.detail_context(node, _("该指标已被他人修改，请刷新后再改。")),
            )
        except ValidationError as exc:
            return render(
                request,
                "indicators/_node_detail.html",
                self.detail_context(node, " ".join(exc.messages)),
            )
        response = self.follow(node.template, saved.template)
        if response:
            return response
        response = self.respond(node.template, "indicators/_tree.html")
        response["HX-Trigger"] = "detail-saved"
        return response


class TemplateNewEdition(EditorEndpoint):
    def post(self, request, pk):
        template = get_object_or_404(editable_templates(request.user), pk=pk)
        edition = services.editable_edition(actor=request.user, template=template)
        messages.success(request, _("正在编辑第 %(n)d 版。") % {"n": edition.edition})
        return redirect("template-detail", pk=edition.pk)


class TemplateClone(EditorEndpoint):
    def post(self, request, pk):
        template = get_object_or_404(IndicatorTemplate.objects.for_user(request.user), pk=pk)
        if not services.may_edit(request.user, template):
            raise PermissionDenied
        copy = services.clone_template(
            actor=request.user,
            template=template,
            name=_("%(name)s（副本）") % {"name": template.name},
        )
        messages.success(request, _("已复制为“%(name)s”。") % {"name": copy.name})
        return redirect("template-detail", pk=copy.pk)


class SectionEndpoint(EditorEndpoint):
    """Event types, metrics and survey categories: each list is one section re-rendered
    after a save or delete."""

    fragment = None

    def section(self, template, error=None):
        return self.respond(template, self.fragment, error=error)


class EventTypeSave(SectionEndpoint):
    fragment = "indicators/_event_types.html"

    def post(self, request, pk):
        template = self.template_for(pk)
        form = EventTypeForm(request.POST, template=template)
        if not form.is_valid():
            return self.section(template, _("事项类型未保存：%(e)s") % {"e": _form_errors(form)})
        data = dict(form.cleaned_data)
        version = data.pop("version")
        existing = template.event_types.filter(pk=request.POST.get("id") or 0).first()
        try:
            saved = services.save_event_type(
                actor=request.user, template=template, event_type=existing, version=version, **data
            )
        except StaleVersion:
            return self.section(template, _("该事项类型已被他人修改，已显示最新内容。"))
        except ValidationError as exc:
            return self.section(template, " ".join(exc.messages))
        return self.follow(template, saved.template) or self.section(template)


class EventTypeDelete(SectionEndpoint):
    fragment = "indicators/_event_types.html"

    def post(self, request, pk):
        event_type = get_object_or_404(
            EventType.objects.filter(template__in=editable_templates(request.user)), pk=pk
        )
        template = event_type.template
        services.delete_event_type(actor=request.user, event_type=event_type)
        return self.section(template)


class MetricSave(SectionEndpoint):
    fragment = "indicators/_metrics.html"

    def post(self, request, pk):
        template = self.template_for(pk)
        form = MetricForm(request.POST)
        if not form.is_valid():
            return self.section(template, _("数据项未保存：%(e)s") % {"e": _form_errors(form)})
        existing = template.metrics.filter(key=form.cleaned_data["key"]).first()
        try:
            saved = services.save_metric(
                actor=request.user,
                template=template,
                metric=existing,
                version=_version(request),
                **form.cleaned_data,
            )
        except StaleVersion:
            return self.section(template, _("该数据项已被他人修改，已显示最新内容。"))
        except ValidationError as exc:
            return self.section(template, " ".join(exc.messages))
        return self.follow(template, saved.template) or self.section(template)


class MetricDelete(SectionEndpoint):
    fragment = "indicators/_metrics.html"

    def post(self, request, pk):
        metric = get_object_or_404(
            MetricDefinition.objects.filter(template__in=editable_templates(request.user)), pk=pk
        )
        template = metric.template
        try:
            services.delete_metric(actor=request.user, metric=metric)
        except ValidationError as exc:
            return self.section(template, " ".join(exc.messages))
        return self.section(template)


class CategorySave(SectionEndpoint):
    fragment = "indicators/_categories.html"

    def post(self, request, pk):
        template = self.template_for(pk)
        form = CategoryForm(request.POST)
        if not form.is_valid():
            return self.section(template, _("测评类别未保存：%(e)s") % {"e": _form_errors(form)})
        existing = template.survey_categories.filter(name=form.cleaned_data["name"]).first()
        try:
            saved = services.save_survey_category(
                actor=request.user,
                template=template,
                category=existing,
                version=_version(request),
                **form.cleaned_data,
            )
        except StaleVersion:
            return self.section(template, _("该测评类别已被他人修改，已显示最新内容。"))
        except ValidationError as exc:
            return self.section(template, " ".join(exc.messages))
        return self.follow(template, saved.template) or self.section(template)


class CategoryDelete(SectionEndpoint):
    fragment = "indicators/_categories.html"

    def post(self, request, pk):
        category = get_object_or_404(
            SurveyCategory.objects.filter(template__in=editable_templates(request.user)), pk=pk
        )
        template = category.template
        services.delete_survey_category(actor=request.user, category=category)
        return self.section(template)


def _version(request):
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def _form_errors(form):
    return "；".join(
        f"{form.fields[f].label if f in form.fields else ''}{' '.join(e)}"
        for f, e in form.errors.items()
    )

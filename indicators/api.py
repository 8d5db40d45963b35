"""REST API of indicator templates: templates, nodes, event types, metric definitions,
survey categories (/api/v1/). Scoped like the pages; writes by admins and county
assessors through the same services; every write with If-Match (DESIGN §4).

An edit of a released template lands in its next edition: the response then describes
the object in that edition (its `template` field says which).
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import VersionedViewSetMixin
from indicators import services
from indicators.forms import parse_bands
from indicators.models import (
    EventType,
    IndicatorNode,
    IndicatorTemplate,
    MetricDefinition,
    SurveyCategory,
)
from org.access import writes_only_for
from org.models import OrgUnit, OrgUnitKind

# Reading follows scope; changing templates is for admins and county assessors.
EditorWritesOnly = writes_only_for(services.EDITOR_ROLES)


def editable_templates(user):
    return IndicatorTemplate.objects.for_user(user, roles=services.EDITOR_ROLES).filter(
        is_frozen=False
    )


class ScopedTemplateField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return editable_templates(self.context["request"].user)


class ScopedNodeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return IndicatorNode.objects.filter(
            template__in=editable_templates(self.context["request"].user)
        )


class TemplateSerializer(serializers.ModelSerializer):
    county = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())

    class Meta:
        model = IndicatorTemplate
        fields = [
            "id",
            "county",
            "name",
            "description",
            "lineage",
            "edition",
            "released",
            "is_frozen",
            "based_on",
            "version",
        ]
        read_only_fields = ["lineage", "edition", "released", "is_frozen", "based_on", "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["county"].queryset = OrgUnit.objects.for_user(
                request.user, roles=services.EDITOR_ROLES
            ).filter(kind=OrgUnitKind.COUNTY)


class ProblemSerializer(serializers.Serializer):
    subject = serializers.CharField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()
    is_warning = serializers.BooleanField()


@extend_schema(tags=[_("指标体系")])
class TemplateViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = TemplateSerializer
    permission_classes = [permissions.IsAuthenticated, EditorWritesOnly]
    filterset_fields = ["is_frozen", "released"]
    search_fields = ["name"]
    ordering_fields = ["name", "edition"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if self.request.method in permissions.SAFE_METHODS:
            return IndicatorTemplate.objects.for_user(self.request.user).order_by("pk")
        return editable_templates(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_template(
            actor=self.request.user, **serializer.validated_data
        )

    def partial_update(self, request, *args, **kwargs):
        template = self.get_object()
        serializer = self.get_serializer(template, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {
            k: v for k, v in serializer.validated_data.items() if k in ("name", "description")
        }
        self.expected_version(request, template.version)
        saved = services.update_template(actor=request.user, template=template, **changes)
        return Response(self.get_serializer(saved).data)

    @extend_schema(request=None, responses={201: TemplateSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None, **kwargs):
        """A deep copy as a new template of the same county."""
        copy = services.clone_template(
            actor=request.user, template=self.get_object(), name=request.data.get("name") or None
        )
        return Response(self.get_serializer(copy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TemplateSerializer)
    @action(detail=True, methods=["post"], url_path="new-edition")
    def new_edition(self, request, pk=None, **kwargs):
        """The edition edits go to: the template itself while unreleased."""
        edition = services.editable_edition(actor=request.user, template=self.get_object())
        return Response(self.get_serializer(edition).data)

    @extend_schema(responses=ProblemSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def check(self, request, pk=None, **kwargs):
        """Every validation problem of the template (SPEC §3.1), errors and warnings."""
        # DRF's lookup: an id that is no number (`null`) is not found, not a 500.
        report = services.check_template(self.get_object())
        return Response(ProblemSerializer(report.problems, many=True).data)


@extend_schema_field(OpenApiTypes.STR)
class BandsField(serializers.Field):
    """Bands as SPEC §4 writes them: "0:0;60:2;80:4" (a list of pairs is accepted too)."""

    def to_representation(self, value):
        return ";".join(f"{t}:{v}" for t, v in value)

    def to_internal_value(self, data):
        if isinstance(data, list):
            data = ";".join(f"{t}:{v}" for t, v in data)
        try:
            return parse_bands(str(data))
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class BarsLevelSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=50)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    value = serializers.DecimalField(max_digits=7, decimal_places=2)


class NodeSerializer(serializers.ModelSerializer):
    template = ScopedTemplateField()
    parent = ScopedNodeField(allow_null=True, required=False)
    bands = BandsField(required=False)
    bars_levels = BarsLevelSerializer(many=True, required=False)

    class Meta:
        model = IndicatorNode
        fields = [
            "id",
            "template",
            "parent",
            "code",
            "name",
            "points",
            "description",
            "range_min",
            "range_max",
            "method",
            "metric_key",
            "target_value",
            "bands",
            "bars_levels",
            "version",
        ]
        read_only_fields = ["code", "version"]

    def validate(self, data):
        template = data.get("template") or getattr(self.instance, "template", None)
        parent = data.get("parent")
        if template is not None and parent is not None and parent.template_id != template.pk:
            raise serializers.ValidationError({"parent": _("上级指标不在这个指标体系中。")})
        return data

    def to_representation(self, node):
        data = super().to_representation(node)
        data["bars_levels"] = [
            {"label": b.label, "description": b.description, "value": str(b.value)}
            for b in node.bars_levels.all()
        ]
        return data


@extend_schema(tags=[_("指标体系")])
class NodeViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = NodeSerializer
    permission_classes = [permissions.IsAuthenticated, EditorWritesOnly]
    filterset_fields = ["template", "method"]
    search_fields = ["code", "name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = IndicatorNode.objects.prefetch_related("bars_levels").order_by("template", "sort_key")
        if self.request.method in permissions.SAFE_METHODS:
            return qs.for_user(self.request.user)
        return qs.filter(template__in=editable_templates(self.request.user))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        levels = data.pop("bars_levels", None)
        node = services.add_node(actor=self.request.user, **data)
        if levels:
            node = services.set_bars_levels(
                actor=self.request.user,
                node=node,
                levels=[(b["label"], b.get("description", ""), b["value"]) for b in levels],
            )
        serializer.instance = node

    def partial_update(self, request, *args, **kwargs):
        node = self.get_object()
        serializer = self.get_serializer(node, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("template", None)
        levels = data.pop("bars_levels", None)
        parent_given = "parent" in data
        parent = data.pop("parent", None)
        version = self.expected_version(request, node.version)
        if parent_given and parent != node.parent:
            node = services.move_node(actor=request.user, node=node, version=version, parent=parent)
            version = node.version
        if data:
            node = services.update_node(actor=request.user, node=node, version=version, **data)
        if levels is not None:
            node = services.set_bars_levels(
                actor=request.user,
                node=node,
                levels=[(b["label"], b.get("description", ""), b["value"]) for b in levels],
            )
        node = IndicatorNode.objects.prefetch_related("bars_levels").get(pk=node.pk)
        return Response(self.get_serializer(node).data)

    def destroy(self, request, *args, **kwargs):
        node = self.get_object()
        services.delete_node(
            actor=request.user, node=node, version=self.expected_version(request, node.version)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventTypeSerializer(serializers.ModelSerializer):
    template = ScopedTemplateField()
    leaf = ScopedNodeField(allow_null=True, required=False)

    class Meta:
        model = EventType
        fields = ["id", "template", "code", "name", "points", "leaf", "cap", "is_veto", "version"]
        read_only_fields = ["version"]
        validators = []


def _check_leaf(template, leaf):
    if leaf is not None and leaf.template_id != template.pk:
        raise serializers.ValidationError({"leaf": [_("计入的指标不在这个指标体系中。")]})


class MetricSerializer(serializers.ModelSerializer):
    template = ScopedTemplateField()

    class Meta:
        model = MetricDefinition
        fields = ["id", "template", "key", "name", "unit", "source", "version"]
        read_only_fields = ["version"]
        validators = []


class CategorySerializer(serializers.ModelSerializer):
    template = ScopedTemplateField()

    class Meta:
        model = SurveyCategory
        fields = ["id", "template", "name", "weight", "version"]
        read_only_fields = ["version"]
        validators = []


class TemplatePartViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Event types, metrics and survey categories: listed, created, changed, deleted by
    editors through their template's services."""

    permission_classes = [permissions.IsAuthenticated, EditorWritesOnly]
    model = None
    object_argument = None
    save_service = None
    delete_service = None

    def get_queryset(self):
        qs = self.model.objects.order_by("template", "pk")
        if self.request.method in permissions.SAFE_METHODS:
            return qs.filter(template__in=IndicatorTemplate.objects.for_user(self.request.user))
        return qs.filter(template__in=editable_templates(self.request.user))

    def check_parts(self, template, data):
        """Refuse related objects from another template (subclasses name them)."""

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        template = data.pop("template")
        self.check_parts(template, data)
        serializer.instance = type(self).save_service(
            actor=self.request.user, template=template, **data
        )

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("template", None)
        self.check_parts(obj.template, data)
        saved = type(self).save_service(
            actor=request.user,
            template=obj.template,
            version=self.expected_version(request, obj.version),
            **{self.object_argument: obj},
            **data,
        )
        return Response(self.get_serializer(saved).data)

    def destroy(self, request, *args, **kwargs):
        obj = self.get_object_at_version(request)
        type(self).delete_service(actor=request.user, **{self.object_argument: obj})
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[_("指标体系")])
class EventTypeViewSet(TemplatePartViewSet):
    serializer_class = EventTypeSerializer
    filterset_fields = ["template", "is_veto"]
    search_fields = ["code", "name"]
    model = EventType
    object_argument = "event_type"
    save_service = staticmethod(services.save_event_type)
    delete_service = staticmethod(services.delete_event_type)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_parts(self, template, data):
        _check_leaf(template, data.get("leaf"))


@extend_schema(tags=[_("指标体系")])
class MetricViewSet(TemplatePartViewSet):
    serializer_class = MetricSerializer
    filterset_fields = ["template"]
    model = MetricDefinition
    object_argument = "metric"
    save_service = staticmethod(services.save_metric)
    delete_service = staticmethod(services.delete_metric)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


@extend_schema(tags=[_("指标体系")])
class SurveyCategoryViewSet(TemplatePartViewSet):
    serializer_class = CategorySerializer
    filterset_fields = ["template"]
    model = SurveyCategory
    object_argument = "category"
    save_service = staticmethod(services.save_survey_category)
    delete_service = staticmethod(services.delete_survey_category)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

"""REST API of the records area (issue 6): /api/v1/metric-values/ (指标数据),
/api/v1/diary-entries/ (民情日记), /api/v1/grid-events/ (网格事件, + transition/).
Serializers shape data; the services in `evidence.records.services` decide. Changes
to an existing record need If-Match (DESIGN §4)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessment.models import Cycle
from core.api import IF_MATCH, FilterSet, VersionedViewSetMixin
from core.numbers import plain_number
from core.versioning import StaleVersion
from evidence.models import DiaryEntry, GridEvent, MetricValue
from evidence.records import selectors, services
from org.models import OrgUnit, OrgUnitKind


def _limit_to_scope(serializer, **querysets):
    """Related fields offer only what the requesting user reaches (DESIGN §7)."""
    request = serializer.context.get("request")
    if request is not None:
        for field, for_user in querysets.items():
            serializer.fields[field].queryset = for_user(request.user)


def _communities(user):
    return OrgUnit.objects.for_user(user).filter(kind=OrgUnitKind.COMMUNITY)


def _grids(user):
    return OrgUnit.objects.for_user(user).filter(kind=OrgUnitKind.GRID)


class MetricValueSerializer(serializers.ModelSerializer):
    cycle = serializers.PrimaryKeyRelatedField(queryset=Cycle.objects.none())
    community = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())
    community_code = serializers.CharField(source="community.code", read_only=True)
    # Text, so that the service checks the number and names community and metric.
    value = serializers.CharField(help_text="实际值：≥ 0，最多 4 位小数")
    entered_by = serializers.StringRelatedField(allow_null=True)  # null: made by a command

    class Meta:
        model = MetricValue
        fields = [
            "id",
            "cycle",
            "community",
            "community_code",
            "key",
            "value",
            "source",
            "note",
            "entered_by",
            "updated_at",
            "version",
        ]
        read_only_fields = ["source", "entered_by", "updated_at", "version"]
        # An existing value is the service's answer (change it with PATCH), not a
        # generic uniqueness error.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_scope(self, cycle=Cycle.objects.for_user, community=_communities)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("cycle", "community", "key"):
                self.fields[name].read_only = True

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["value"] = plain_number(instance.value)
        return data


class MetricValueFilter(FilterSet):
    community_code = filters.CharFilter(field_name="community__code")

    class Meta:
        model = MetricValue
        fields = ["cycle", "community", "community_code", "key", "source"]


class PasteImport(serializers.Serializer):
    cycle = serializers.IntegerField()
    text = serializers.CharField(help_text="制表符分隔：社区编码、数据项、实际值；表头可选")


@extend_schema(tags=[gettext_lazy("指标数据")])
class MetricValueViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Metric values per community: county assessors for their county, town assessors
    for their town's communities; counted metrics are not entered (SPEC §2 Metric)."""

    serializer_class = MetricValueSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = MetricValueFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_rules = dict.fromkeys(
        ("update", "partial_update", "destroy"),
        lambda user, metric: selectors.may_enter_metrics(user, metric.community),
    )

    def get_queryset(self):
        return MetricValue.objects.for_user(self.request.user).select_related(
            "community", "entered_by"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.set_metric_value(
                actor=self.request.user,
                cycle=data["cycle"],
                community=data["community"],
                key=data["key"],
                value=data["value"],
                note=data.get("note", ""),
            )
        except StaleVersion as exc:
            raise ValidationError(
                {"key": [_("该社区的这项数据已有值，请用 PATCH（带 If-Match）修改。")]}
            ) from exc

    def perform_update(self, serializer):
        metric = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.set_metric_value(
            actor=self.request.user,
            cycle=metric.cycle,
            community=metric.community,
            key=metric.key,
            value=data.get("value", metric.value),
            note=data.get("note", metric.note),
            version=self.expected_version(self.request, metric.version),
        )

    def perform_destroy(self, instance):
        services.clear_metric_value(
            actor=self.request.user,
            cycle=instance.cycle,
            community=instance.community,
            key=instance.key,
            version=self.expected_version(self.request, instance.version),
        )

    @extend_schema(request=PasteImport, responses={200: None})
    @action(detail=False, methods=["post"], url_path="import")
    def paste_import(self, request, **kwargs):
        """Paste from Excel, all or nothing; errors come back by line number."""
        body = PasteImport(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = Cycle.objects.for_user(request.user).filter(pk=body.validated_data["cycle"])
        if not cycle.exists():
            raise ValidationError({"cycle": [_("考核周期不存在，或不在您的管理范围内。")]})
        n = services.import_metric_values(
            actor=request.user, cycle=cycle.get(), text=body.validated_data["text"]
        )
        return Response({"imported": n})


class DiaryEntrySerializer(serializers.ModelSerializer):
    community = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())
    community_code = serializers.CharField(source="community.code", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    author = serializers.StringRelatedField()

    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "community",
            "community_code",
            "recorded_on",
            "category",
            "category_label",
            "content",
            "follow_up",
            "resolved",
            "resolved_on",
            "author",
            "created_at",
            "version",
        ]
        read_only_fields = ["author", "created_at", "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_scope(self, community=_communities)


class MonthFilterSet(FilterSet):
    month = filters.CharFilter(method="in_month", label="YYYY-MM")
    community_code = filters.CharFilter(field_name="community__code")
    date_field = ""

    def in_month(self, queryset, name, value):
        bounds = selectors.parse_month(value)
        return queryset.filter(**{f"{self.date_field}__range": bounds}) if bounds else queryset


class DiaryEntryFilter(MonthFilterSet):
    date_field = "recorded_on"

    class Meta:
        model = DiaryEntry
        fields = ["community", "community_code", "month", "category", "resolved"]


DIARY_FIELDS = ("recorded_on", "category", "content", "follow_up", "resolved", "resolved_on")


@extend_schema(tags=[gettext_lazy("民情日记")])
class DiaryEntryViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """民情日记: the secretary writes for their own community and edits their own entries;
    staff of the town and county read."""

    serializer_class = DiaryEntrySerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = DiaryEntryFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_rules = dict.fromkeys(
        ("update", "partial_update"), lambda user, entry: entry.author_id == user.pk
    )

    def get_queryset(self):
        return DiaryEntry.objects.for_user(self.request.user).select_related("community", "author")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.record_diary_entry(
            actor=self.request.user,
            community=data["community"],
            **{f: data[f] for f in DIARY_FIELDS if f in data},
        )

    def perform_update(self, serializer):
        entry = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.update_diary_entry(
            actor=self.request.user,
            entry=entry,
            version=self.expected_version(self.request, entry.version),
            **{f: data.get(f, getattr(entry, f)) for f in DIARY_FIELDS},
        )


class GridEventSerializer(serializers.ModelSerializer):
    community = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())
    community_code = serializers.CharField(source="community.code", read_only=True)
    grid = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(), required=False, allow_null=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    reported_by = serializers.StringRelatedField()
    resolved_by = serializers.StringRelatedField(allow_null=True)
    closed_by_reporter = serializers.BooleanField(
        read_only=True, help_text="本人报告本人办结：办结人即上报人"
    )

    class Meta:
        model = GridEvent
        fields = [
            "id",
            "community",
            "community_code",
            "grid",
            "reported_on",
            "category",
            "description",
            "status",
            "status_label",
            "handling_note",
            "resolved_on",
            "reported_by",
            "resolved_by",
            "closed_by_reporter",
            "created_at",
            "version",
        ]
        read_only_fields = [
            "status",
            "resolved_on",
            "reported_by",
            "resolved_by",
            "created_at",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_to_scope(self, community=_communities, grid=_grids)


class GridEventFilter(MonthFilterSet):
    date_field = "reported_on"

    class Meta:
        model = GridEvent
        fields = ["community", "community_code", "month", "category", "status"]


class GridEventTransition(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(services.GRID_EVENT_ACTIONS))
    note = serializers.CharField(required=False, allow_blank=True, default="")
    resolved_on = serializers.DateField(required=False, allow_null=True, default=None)


@extend_schema(tags=[gettext_lazy("网格事件")])
class GridEventViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """网格事件: reported by the community's secretary or a town/county assessor; moved
    已上报 → 处理中 → 已办结 with transition/ (reopen: assessors, with a note)."""

    serializer_class = GridEventSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = GridEventFilter
    http_method_names = ["get", "post", "head", "options"]
    write_rules = {
        "transition": lambda user, event: selectors.may_keep_grid_events(user, event.community)
    }

    def get_queryset(self):
        return GridEvent.objects.for_user(self.request.user).select_related(
            "community", "reported_by", "resolved_by"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.report_grid_event(
            actor=self.request.user,
            community=data["community"],
            grid=data.get("grid"),
            reported_on=data.get("reported_on"),
            category=data.get("category", ""),
            description=data.get("description", ""),
            handling_note=data.get("handling_note", ""),
        )

    @extend_schema(
        request=GridEventTransition, parameters=[IF_MATCH], responses=GridEventSerializer
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        """handle (开始处理), resolve (办结; resolved_on defaults to today) or reopen
        (重新打开, town/county assessors, note required)."""
        event = self.get_object()
        body = GridEventTransition(data=request.data)
        body.is_valid(raise_exception=True)
        event = services.move_grid_event(
            actor=request.user,
            event=event,
            version=self.expected_version(request, event.version),
            **body.validated_data,
        )
        return self.current(event)


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("metric-values", MetricValueViewSet, basename="metricvalue")
    router.register("diary-entries", DiaryEntryViewSet, basename="diaryentry")
    router.register("grid-events", GridEventViewSet, basename="gridevent")

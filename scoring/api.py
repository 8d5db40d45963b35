"""REST API of scoring (/api/v1/): score entries (write through `enter_score`, changes
with If-Match), results with their leaf breakdown and result versions (read-only).
Scoped like the pages: a secretary reads only their own entries, and their own results
only from 公示 on."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from assessment.models import Participant
from core.api import FilterSet, IdFilter, VersionedViewSetMixin
from indicators.models import BarsLevel, IndicatorNode
from org.scope import scope_of
from scoring.access import STAFF_ROLES, reads_whole_county
from scoring.inputs import small_samples
from scoring.models import LeafResult, Result, ResultVersion, ScoreEntry
from scoring.services import enter_score


class ScoreEntryFilter(FilterSet):
    cycle = IdFilter(field_name="participant__cycle")

    class Meta:
        model = ScoreEntry
        fields = ["cycle", "participant", "leaf", "source"]


class ScoreEntrySerializer(serializers.ModelSerializer):
    participant = serializers.PrimaryKeyRelatedField(queryset=Participant.objects.none())
    leaf = serializers.PrimaryKeyRelatedField(queryset=IndicatorNode.objects.none())
    level = serializers.PrimaryKeyRelatedField(
        queryset=BarsLevel.objects.all(), allow_null=True, required=False
    )
    value = serializers.DecimalField(max_digits=7, decimal_places=2, required=False)
    leaf_code = serializers.CharField(source="leaf.code", read_only=True)
    rater_name = serializers.CharField(source="rater.full_name", read_only=True)

    class Meta:
        model = ScoreEntry
        fields = [
            "id",
            "participant",
            "leaf",
            "leaf_code",
            "source",
            "rater",
            "rater_name",
            "value",
            "level",
            "note",
            "version",
            "updated_at",
        ]
        read_only_fields = ["rater", "version", "updated_at"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            participants = Participant.objects.for_user(request.user)
            self.fields["participant"].queryset = participants
            self.fields["leaf"].queryset = IndicatorNode.objects.filter(
                template__frozen_for__participants__in=participants
            ).distinct()


@extend_schema(tags=[_("评分")])
class ScoreEntryViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """One rater's value for one participant, leaf and source (SPEC §3.2). A POST adds
    the caller's entry; PATCH changes the caller's own entry and needs If-Match."""

    queryset = ScoreEntry.objects.none()  # for the schema; requests use get_queryset
    serializer_class = ScoreEntrySerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = ScoreEntryFilter
    ordering_fields = ["updated_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            ScoreEntry.objects.for_user(self.request.user)
            .select_related("leaf", "rater")
            .order_by("participant_id", "leaf__sort_key", "source", "rater_id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = enter_score(
            actor=self.request.user,
            participant=data["participant"],
            leaf=data["leaf"],
            source=data["source"],
            value=data.get("value"),
            level=data.get("level"),
            note=data.get("note", ""),
            version=self._existing_version(data),
        )

    def _existing_version(self, data):
        """Posting over one's existing entry is a change: it needs If-Match too."""
        version = (
            ScoreEntry.objects.filter(
                participant=data["participant"],
                leaf=data["leaf"],
                source=data["source"],
                rater=self.request.user,
            )
            .values_list("version", flat=True)
            .first()
        )
        return None if version is None else self.expected_version(self.request, version)

    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        if entry.rater_id != request.user.pk:
            raise ApiPermissionDenied(_("只能修改本人的评分。"))
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        serializer.instance = enter_score(
            actor=request.user,
            participant=entry.participant,
            leaf=entry.leaf,
            source=entry.source,
            value=data.get("value", entry.value),
            level=data.get("level", entry.level),
            note=data.get("note", entry.note),
            version=self.expected_version(request, entry.version),
        )
        return Response(self.get_serializer(serializer.instance).data)


class ResultFilter(FilterSet):
    cycle = IdFilter(field_name="version__cycle")

    class Meta:
        model = Result
        fields = ["cycle", "participant", "grade", "tier", "veto", "graded"]


class LeafResultSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="leaf.code")
    name = serializers.CharField(source="leaf.name")
    points = serializers.DecimalField(source="leaf.points", max_digits=7, decimal_places=2)

    class Meta:
        model = LeafResult
        fields = [
            "code",
            "name",
            "points",
            "self_value",
            "target_value",
            "org_value",
            "org_overridden",
        ]


RESULT_FIELDS = [
    "id",
    "cycle",
    "participant",
    "staff_no",
    "name",
    "community",
    "town",
    "graded",
    "self_total",
    "target_total",
    "org_total",
    "composite",
    "bonus",
    "final",
    "taken",
    "veto",
    "veto_reasons",
    "rank",
    "grade",
    "rule_grade",
    "override_reason",
    "tier",
    "coefficient",
    "pay",
    "flags",
    "warnings",
    "stale",
    "withheld",
]


# What a reader outside the county's staff does not get of a small-sample result.
WITHHELD_FIELDS = (
    "self_total",
    "target_total",
    "org_total",
    "composite",
    "final",
    "taken",
    "rank",
    "grade",
    "rule_grade",
    "tier",
    "coefficient",
    "pay",
)


class ResultSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="version.cycle_id", read_only=True)
    staff_no = serializers.CharField(source="participant.secretary.staff_no")
    name = serializers.CharField(source="participant.secretary.name")
    community = serializers.CharField(source="participant.community.name")
    town = serializers.CharField(source="participant.community.parent.name", default="")
    stale = serializers.SerializerMethodField()
    withheld = serializers.SerializerMethodField(
        help_text=_("样本不足（SPEC §3.4）：为真时各项得分、名次与等次为空，仅县级工作人员可见")
    )

    class Meta:
        model = Result
        fields = RESULT_FIELDS
        # Null when withheld (SPEC §3.4 Validity), so the schema says so.
        extra_kwargs = {name: {"allow_null": True} for name in WITHHELD_FIELDS}

    def get_stale(self, result) -> bool:
        return result.version.inputs_version != result.version.cycle.inputs_version

    def get_withheld(self, result) -> bool:
        return self._withheld(result)

    def to_representation(self, result):
        """SPEC §3.4 Validity: a result of a community with fewer than K counted ballots
        carries its scores for the county's own staff only (every score contains the
        rate); others get them null and `withheld` true, as the pages do."""
        data = super().to_representation(result)
        if data["withheld"]:
            for field in WITHHELD_FIELDS:
                if field in data:
                    data[field] = None
            if "leaves" in data:
                data["leaves"] = []
        return data

    def _withheld(self, result):
        request = self.context.get("request")
        if request is None:
            return False
        cycle = result.version.cycle
        cache = self.context.setdefault("_small_samples", {})
        if cycle.pk not in cache:
            cache[cycle.pk] = (
                set() if reads_whole_county(request.user, cycle) else set(small_samples(cycle))
            )
        return result.participant.community_id in cache[cycle.pk]


class ResultDetailSerializer(ResultSerializer):
    leaves = LeafResultSerializer(source="sheet.leaves", many=True, read_only=True)

    class Meta(ResultSerializer.Meta):
        fields = [*RESULT_FIELDS, "leaves"]


@extend_schema(tags=[_("考核结果")])
class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    """The current results (SPEC §3.2–§3.5); a detail adds every leaf's S/T/O values.
    `stale` is true while inputs changed since the computation (待更新)."""

    queryset = Result.objects.none()  # for the schema; requests use get_queryset
    serializer_class = ResultSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = ResultFilter
    ordering_fields = ["rank", "final", "composite"]

    def get_serializer_class(self):
        return ResultDetailSerializer if self.action == "retrieve" else ResultSerializer

    def get_queryset(self):
        qs = (
            Result.objects.for_user(self.request.user)
            .current()
            .select_related(
                "version__cycle",
                "participant__secretary",
                "participant__community__parent",
            )
            .order_by("version__cycle_id", "rank", "participant_id")
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related("sheet__leaves__leaf")
        return qs


class ResultVersionSerializer(serializers.ModelSerializer):
    stale = serializers.SerializerMethodField()

    class Meta:
        model = ResultVersion
        fields = [
            "id",
            "cycle",
            "inputs_version",
            "is_current",
            "is_published",
            "computed_at",
            "n",
            "quota",
            "top",
            "bottom",
            "groups",
            "warnings",
            "stale",
        ]

    def get_stale(self, version) -> bool:
        return version.inputs_version != version.cycle.inputs_version


@extend_schema(tags=[_("考核结果")])
class ResultVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Computations of a cycle: n, 优秀 quota, tier sizes, warnings (county staff)."""

    serializer_class = ResultVersionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["cycle", "is_current"]

    def get_queryset(self):
        """Cycles whose whole county the user oversees (a town's staff see their
        participants' results, not the county-wide figures)."""
        scope = scope_of(self.request.user)
        qs = ResultVersion.objects.select_related("cycle").order_by("cycle_id", "-pk")
        if scope.is_global:
            return qs
        return qs.filter(scope.path_q("cycle__county__path", STAFF_ROLES))

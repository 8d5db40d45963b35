"""REST API of appeals (申诉/复核, /api/v1/appeals/): a secretary files one; county
managers accept, correct scores, decide or reject (services in scoring.appeals.services;
changes of state need If-Match)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessment.models import Participant
from assessment.services import may_manage
from core.api import IF_MATCH, FilterSet, IdFilter, VersionedViewSetMixin
from scoring.appeals import services as appeals
from scoring.models import Appeal, AppealChange


class AppealChangeSerializer(serializers.ModelSerializer):
    rater = serializers.StringRelatedField()
    changed_by = serializers.StringRelatedField()

    class Meta:
        model = AppealChange
        fields = [
            "leaf_code",
            "leaf_name",
            "source",
            "rater",
            "before",
            "after",
            "note",
            "changed_by",
            "changed_at",
        ]


class AppealSerializer(serializers.ModelSerializer):
    participant = serializers.PrimaryKeyRelatedField(queryset=Participant.objects.none())
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    changes = AppealChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "participant",
            "reasons",
            "evidence",
            "filed_by",
            "filed_at",
            "status",
            "status_label",
            "handled_by",
            "accepted_at",
            "decision",
            "decided_at",
            "changes",
            "version",
        ]
        read_only_fields = [
            "filed_by",
            "filed_at",
            "status",
            "handled_by",
            "accepted_at",
            "decision",
            "decided_at",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["participant"].queryset = Participant.objects.for_user(request.user)


class AppealFilter(FilterSet):
    cycle = IdFilter(field_name="participant__cycle")

    class Meta:
        model = Appeal
        fields = ["cycle", "status"]


class DecisionRequest(serializers.Serializer):
    action = serializers.ChoiceField(choices=["accept", "reject", "decide"])
    text = serializers.CharField(required=False, allow_blank=True, default="")


class CorrectionRequest(serializers.Serializer):
    entry = serializers.IntegerField(required=False)
    entry_version = serializers.IntegerField(required=False)
    leaf = serializers.IntegerField(required=False)
    source = serializers.ChoiceField(choices=["target", "org"], required=False)
    value = serializers.DecimalField(max_digits=7, decimal_places=2, required=False)
    level = serializers.IntegerField(required=False)
    note = serializers.CharField()


@extend_schema(tags=[_("申诉")])
class AppealViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AppealSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = AppealFilter
    http_method_names = ["get", "post", "head", "options"]
    write_rules = {"decide": lambda user, appeal: may_manage(user, appeal.participant.cycle)}

    def get_queryset(self):
        return (
            Appeal.objects.for_user(self.request.user)
            .select_related("participant__cycle__county")
            .prefetch_related("changes__rater", "changes__changed_by")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = appeals.file_appeal(
            actor=self.request.user,
            participant=data["participant"],
            reasons=data.get("reasons", ""),
            evidence=data.get("evidence", ""),
        )

    @extend_schema(request=DecisionRequest, parameters=[IF_MATCH], responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, **kwargs):
        """受理 (accept), 不予受理 (reject, text = reason) or 办结 (decide, text = 结论)."""
        appeal = self.get_object()
        body = DecisionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        action_name, text = body.validated_data["action"], body.validated_data["text"]
        version = self.expected_version(request, appeal.version)
        if action_name == "accept":
            appeal = appeals.accept_appeal(actor=request.user, appeal=appeal, version=version)
        elif action_name == "reject":
            appeal = appeals.reject_appeal(
                actor=request.user, appeal=appeal, version=version, reason=text
            )
        else:
            appeal = appeals.decide_appeal(
                actor=request.user, appeal=appeal, version=version, decision=text
            )
        return self.current(appeal)

    @extend_schema(request=CorrectionRequest, responses=AppealChangeSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None, **kwargs):
        """Change one 目标/组织 score of the appealing participant while 复核中:
        `entry` + `entry_version` for an existing entry, or `leaf` + `source` for a new
        entry of the caller's own; `note` (the reason) is required."""
        appeal = self.get_object()
        body = CorrectionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry, leaf, level = appeals.correction_targets(
            appeal,
            entry_id=data.get("entry"),
            leaf_id=data.get("leaf"),
            level_id=data.get("level"),
        )
        change = appeals.correct_score(
            actor=request.user,
            appeal=appeal,
            entry=entry,
            leaf=leaf,
            source=data.get("source"),
            value=data.get("value"),
            level=level,
            note=data["note"],
            version=data.get("entry_version"),
        )
        return Response(AppealChangeSerializer(change).data, status=201)

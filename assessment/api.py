"""REST API of cycles, their transitions and participants (/api/v1/). Scoped like the
pages; writes by the county's admins and county assessors through `assessment.services`,
each with If-Match (DESIGN §4)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assessment import services as cycles
from assessment.models import Cycle, CycleTransition, Participant, Quarter
from core.api import IF_MATCH, VersionedViewSetMixin
from indicators.models import IndicatorTemplate
from org.access import writes_only_for
from org.models import OrgUnit, OrgUnitKind, Secretary

ManagerWritesOnly = writes_only_for(cycles.MANAGER_ROLES)


class QuarterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quarter
        fields = ["number", "starts_on", "ends_on"]


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)  # null: made by a command

    class Meta:
        model = CycleTransition
        fields = ["from_status", "to_status", "actor", "at", "note"]


SETTINGS_FIELDS = [
    "weight_self",
    "weight_target",
    "weight_org",
    "bonus_cap",
    "threshold_excellent",
    "threshold_qualified",
    "threshold_basic",
    "excellent_share",
    "label_excellent",
    "label_qualified",
    "label_basic",
    "label_failed",
    "tier_top_share",
    "tier_bottom_share",
    "coefficient_top",
    "coefficient_middle",
    "coefficient_bottom",
    "pay_base",
    "trim_threshold",
    "ranking_group",
    "consecutive_years",
    "target_entry",
    "value_satisfied",
    "value_basic",
    "value_unsatisfied",
]


class CycleSerializer(serializers.ModelSerializer):
    county = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())
    template = serializers.PrimaryKeyRelatedField(
        queryset=IndicatorTemplate.objects.none(), allow_null=True, required=False
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    quarters = QuarterSerializer(many=True, required=False)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta:
        model = Cycle
        fields = [
            "id",
            "county",
            "name",
            "year",
            "status",
            "status_label",
            "template",
            "frozen_template",
            *SETTINGS_FIELDS,
            "quarters",
            "transitions",
            "version",
        ]
        read_only_fields = ["status", "frozen_template", "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["county"].queryset = OrgUnit.objects.for_user(
                request.user, roles=cycles.MANAGER_ROLES
            ).filter(kind=OrgUnitKind.COUNTY)
            self.fields["template"].queryset = IndicatorTemplate.objects.for_user(
                request.user
            ).filter(is_frozen=False)


class TransitionRequest(serializers.Serializer):
    name = serializers.ChoiceField(choices=list(cycles.TRANSITIONS))
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=[_("考核周期")])
class CycleViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = CycleSerializer
    permission_classes = [permissions.IsAuthenticated, ManagerWritesOnly]
    filterset_fields = ["year", "status", "county"]
    search_fields = ["name"]
    ordering_fields = ["year", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = Cycle.objects.prefetch_related("quarters", "transitions__actor").order_by(
            "-year", "pk"
        )
        if self.request.method in permissions.SAFE_METHODS:
            return qs.for_user(self.request.user)
        return qs.for_user(self.request.user, roles=cycles.MANAGER_ROLES)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("quarters", None)
        serializer.instance = cycles.create_cycle(actor=self.request.user, **data)

    def partial_update(self, request, *args, **kwargs):
        cycle = self.get_object()
        serializer = self.get_serializer(cycle, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("county", None)
        data.pop("year", None)
        quarters = data.pop("quarters", None)
        version = self.expected_version(request, cycle.version)
        if quarters is not None:
            cycle = cycles.update_settings(
                actor=request.user,
                cycle=cycle,
                version=version,
                quarters=[(q["number"], q["starts_on"], q["ends_on"]) for q in quarters],
                **data,
            )
        else:
            cycle = cycles.update_cycle(actor=request.user, cycle=cycle, version=version, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=cycle.pk)).data)

    @extend_schema(request=TransitionRequest, parameters=[IF_MATCH], responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        """Move the cycle along its lifecycle; 400 lists what blocks the move."""
        cycle = self.get_object()
        body = TransitionRequest(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = cycles.transition(
            actor=request.user,
            cycle=cycle,
            name=body.validated_data["name"],
            note=body.validated_data["note"],
            version=self.expected_version(request, cycle.version),
        )
        return self.current(cycle)

    @extend_schema(responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"])
    def blockers(self, request, pk=None, **kwargs):
        """For each move available now, what (if anything) stops it."""
        cycle = self.get_object()
        return Response(
            {t.name: cycles.blockers(cycle, t.name) for t in cycles.available_transitions(cycle)}
        )

    @extend_schema(request=None, responses={200: {"type": "object"}})
    @action(detail=True, methods=["post"])
    def enrol(self, request, pk=None, **kwargs):
        """Enrol every secretary of the county in post during the year."""
        added = cycles.enrol_county(actor=request.user, cycle=self.get_object())
        return Response({"added": added})


class ParticipantSerializer(serializers.ModelSerializer):
    cycle = serializers.PrimaryKeyRelatedField(queryset=Cycle.objects.none())
    secretary = serializers.PrimaryKeyRelatedField(queryset=Secretary.objects.none())
    secretary_name = serializers.CharField(source="secretary.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Participant
        fields = [
            "id",
            "cycle",
            "secretary",
            "secretary_name",
            "community",
            "community_name",
            "is_graded",
            "not_graded_reason",
            "version",
        ]
        read_only_fields = ["community", "version"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["cycle"].queryset = Cycle.objects.for_user(
                request.user, roles=cycles.MANAGER_ROLES
            )
            self.fields["secretary"].queryset = Secretary.objects.for_user(
                request.user, roles=cycles.MANAGER_ROLES
            )


@extend_schema(tags=[_("考核周期")])
class ParticipantViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ParticipantSerializer
    permission_classes = [permissions.IsAuthenticated, ManagerWritesOnly]
    filterset_fields = ["cycle", "is_graded"]
    search_fields = ["secretary__name", "secretary__staff_no", "community__name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = Participant.objects.select_related("secretary", "community").order_by("pk")
        if self.request.method in permissions.SAFE_METHODS:
            return qs.for_user(self.request.user)
        return qs.filter(
            cycle__in=Cycle.objects.for_user(self.request.user, roles=cycles.MANAGER_ROLES)
        )

    def perform_create(self, serializer):
        serializer.instance = cycles.enrol_secretary(
            actor=self.request.user,
            cycle=serializer.validated_data["cycle"],
            secretary=serializer.validated_data["secretary"],
        )

    def partial_update(self, request, *args, **kwargs):
        participant = self.get_object()
        serializer = self.get_serializer(participant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        saved = cycles.set_grading(
            actor=request.user,
            participant=participant,
            version=self.expected_version(request, participant.version),
            is_graded=data.get("is_graded", participant.is_graded),
            reason=data.get("not_graded_reason", participant.not_graded_reason),
        )
        return Response(self.get_serializer(saved).data)

    def destroy(self, request, *args, **kwargs):
        participant = self.get_object_at_version(request)
        cycles.withdraw_participant(actor=request.user, participant=participant)
        return Response(status=status.HTTP_204_NO_CONTENT)

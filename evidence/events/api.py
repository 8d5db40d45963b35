"""REST API of events (/api/v1/events/); reform-risk filings are in `evidence.filings.api`.

Reading follows scope; every write is one service call (`evidence.events.services`).
PATCH and the actions on one record need If-Match (the record's ETag): missing → 428,
stale → 412. Proof files go with a multipart create (field `files`, repeated)."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from assessment.models import Participant
from assessment.services import may_manage
from core.api import IF_MATCH, FilterSet, IdFilter, VersionedViewSetMixin
from evidence.events import services
from evidence.models import Event, ReformFiling
from indicators.models import EventType, IndicatorTemplate


class EventSerializer(serializers.ModelSerializer):
    participant = serializers.PrimaryKeyRelatedField(queryset=Participant.objects.none())
    event_type = serializers.PrimaryKeyRelatedField(queryset=EventType.objects.none())
    filing = serializers.PrimaryKeyRelatedField(
        queryset=ReformFiling.objects.none(), required=False, allow_null=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    counts = serializers.BooleanField(read_only=True)
    attachments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "participant",
            "event_type",
            "occurred_on",
            "description",
            "filing",
            "origin",
            "status",
            "status_label",
            "counts",
            "reported_by",
            "reported_at",
            "verified_by",
            "verified_at",
            "verification_note",
            "exempt",
            "exempted_by",
            "exempted_at",
            "exemption_reason",
            "attachments",
            "version",
        ]
        read_only_fields = [
            f
            for f in fields
            if f not in ("participant", "event_type", "occurred_on", "description", "filing")
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["participant"].queryset = Participant.objects.for_user(user)
            self.fields["event_type"].queryset = EventType.objects.filter(
                template__in=IndicatorTemplate.objects.for_user(user)
            )
            self.fields["filing"].queryset = ReformFiling.objects.for_user(user)


class EventFilter(FilterSet):
    cycle = IdFilter(field_name="participant__cycle")
    type = filters.CharFilter(field_name="event_type__code")

    class Meta:
        model = Event
        fields = ["cycle", "participant", "status", "type", "exempt"]


class ReasonRequest(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BulkRequest(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    decision = serializers.ChoiceField(choices=["verify", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=[_("事项")])
class EventViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Events: report (create), the reporter's edits of a pending event (PATCH), and
    verify / reject / reopen / exempt / revoke-exemption / bulk-verify."""

    serializer_class = EventSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = EventFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_rules = {
        **dict.fromkeys(
            ("verify", "reject"),
            lambda user, event: services.reports_any_type(user, event.participant),
        ),
        **dict.fromkeys(
            ("reopen", "exempt", "revoke_exemption"),
            lambda user, event: may_manage(user, event.participant.cycle),
        ),
    }

    def get_queryset(self):
        return (
            Event.objects.for_user(self.request.user)
            .select_related("participant__cycle__county", "participant__community", "filing")
            .prefetch_related("attachments")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        event = services.report_event(
            actor=self.request.user,
            participant=data["participant"],
            event_type=data["event_type"],
            occurred_on=data["occurred_on"],
            description=data["description"],
            filing=data.get("filing"),
            uploads=self.request.FILES.getlist("files"),
        )
        serializer.instance = self.get_queryset().get(pk=event.pk)

    def perform_update(self, serializer):
        event, data = serializer.instance, serializer.validated_data
        version = self.expected_version(self.request, event.version)
        updated = services.edit_event(
            actor=self.request.user,
            event=event,
            version=version,
            event_type=data.get("event_type", event.event_type),
            occurred_on=data.get("occurred_on", event.occurred_on),
            description=data.get("description", event.description),
            filing=data.get("filing", event.filing),
            uploads=self.request.FILES.getlist("files"),
        )
        serializer.instance = self.get_queryset().get(pk=updated.pk)

    def _decided(self, request, service, field):
        """Run one decision service; the body's `reason` goes in as `field`."""
        event = self.get_object()
        body = ReasonRequest(data=request.data)
        body.is_valid(raise_exception=True)
        event = service(
            actor=request.user,
            event=event,
            version=self.expected_version(request, event.version),
            **{field: body.validated_data["reason"]},
        )
        return self.current(event)

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None, **kwargs):
        """待核实 → 已核实 (`reason`: optional note). Not by the event's reporter."""
        return self._decided(request, services.verify_event, "note")

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None, **kwargs):
        """待核实 → 不予认定 (`reason` required)."""
        return self._decided(request, services.reject_event, "reason")

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, **kwargs):
        """已核实 / 不予认定 → 待核实, county assessors (`reason` required)."""
        return self._decided(request, services.reopen_event, "reason")

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def exempt(self, request, pk=None, **kwargs):
        """免责, county assessors, event linked to an approved filing (`reason` required)."""
        return self._decided(request, services.exempt_event, "reason")

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="revoke-exemption")
    def revoke_exemption(self, request, pk=None, **kwargs):
        """撤销免责, county assessors (`reason` required)."""
        return self._decided(request, services.revoke_exemption, "reason")

    @extend_schema(request=BulkRequest, responses=EventSerializer(many=True))
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-verify",
        pagination_class=None,
        filter_backends=[],
    )
    def bulk_verify(self, request, **kwargs):
        """One decision for many pending events (`ids`), all or none; a refusal lists
        every event that could not take it."""
        body = BulkRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        done = services.bulk_decide(
            actor=request.user,
            event_ids=data["ids"],
            verify=data["decision"] == "verify",
            reason=data["reason"],
        )
        rows = self.get_queryset().filter(pk__in=[e.pk for e in done])
        return Response(self.get_serializer(rows, many=True).data)


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("events", EventViewSet, basename="event")

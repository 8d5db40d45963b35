"""REST API of the rectification lists (整改清单, /api/v1/rectification-items/): list,
read, create and PATCH (If-Match) items; `start/` (record progress), `close/` (closure
note + evidence files, multipart), `reopen/`; collection actions `carry-over/` and
`from-events/`. Every rule is in evidence.rectification.services."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from assessment.models import Cycle, Participant
from assessment.services import may_manage
from core.api import IF_MATCH, FilterSet, VersionedViewSetMixin
from core.schema import BODY_NAMES_A_RECORD
from evidence.models import Event, RectificationItem
from evidence.rectification import selectors, services
from evidence.rectification.forms import HANDLER_ROLES
from org.access import writes_only_for
from org.models import OrgUnit
from org.scope import Role
from scoring.models import Appeal


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField()
    download = serializers.SerializerMethodField()

    def get_download(self, attachment) -> str:
        return reverse("evidence-download", args=[attachment.pk])


class RectificationItemSerializer(serializers.ModelSerializer):
    cycle = serializers.PrimaryKeyRelatedField(queryset=Cycle.objects.none())
    community = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())
    participant = serializers.PrimaryKeyRelatedField(
        queryset=Participant.objects.none(), required=False, allow_null=True
    )
    event = serializers.PrimaryKeyRelatedField(
        queryset=Event.objects.none(), required=False, allow_null=True
    )
    appeal = serializers.PrimaryKeyRelatedField(
        queryset=Appeal.objects.none(), required=False, allow_null=True
    )
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    carried_to = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "cycle",
            "community",
            "participant",
            "source",
            "source_label",
            "event",
            "appeal",
            "carried_from",
            "carried_to",
            "problem",
            "measures",
            "owner",
            "deadline",
            "status",
            "status_label",
            "is_overdue",
            "closure_note",
            "closed_by",
            "closed_at",
            "created_by",
            "created_at",
            "attachments",
            "version",
        ]
        read_only_fields = [
            "carried_from",
            "status",
            "closure_note",
            "closed_by",
            "closed_at",
            "created_by",
            "created_at",
            "version",
        ]
        extra_kwargs = {"owner": {"required": False, "allow_blank": True}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["cycle"].queryset = Cycle.objects.for_user(user)
            self.fields["community"].queryset = OrgUnit.objects.for_user(user)
            self.fields["participant"].queryset = Participant.objects.for_user(user)
            self.fields["event"].queryset = Event.objects.for_user(user)
            self.fields["appeal"].queryset = Appeal.objects.for_user(user)

    def get_is_overdue(self, item) -> bool:
        return selectors.is_overdue(item)

    def get_carried_to(self, item) -> int | None:
        carried = getattr(item, "carried_to", None)
        return carried.pk if carried is not None else None


class ItemChangeSerializer(serializers.Serializer):
    """PATCH: the fields people edit; status changes go through the actions."""

    problem = serializers.CharField(required=False)
    measures = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(required=False, max_length=100)
    deadline = serializers.DateField(required=False)


class ProgressRequest(serializers.Serializer):
    measures = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class CloseRequest(serializers.Serializer):
    closure_note = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class ReopenRequest(serializers.Serializer):
    reason = serializers.CharField()


class CycleRequest(serializers.Serializer):
    cycle = serializers.IntegerField()
    event = serializers.IntegerField(required=False)


class ItemFilter(FilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = RectificationItem
        fields = ["cycle", "status", "source", "community", "participant"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(is_overdue=value)


@extend_schema(tags=[_("整改清单")])
class RectificationItemViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RectificationItemSerializer
    permission_classes = [
        permissions.IsAuthenticated,
        writes_only_for((*HANDLER_ROLES, Role.SECRETARY)),
    ]
    filterset_class = ItemFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_rules = {
        **dict.fromkeys(
            ("partial_update", "close"),
            lambda user, item: services.handles(user, item.cycle, item.community),
        ),
        "start": lambda user, item: (
            services.handles(user, item.cycle, item.community)
            or services.is_community_secretary(user, item.community)
        ),
        "reopen": lambda user, item: may_manage(user, item.cycle),
    }

    def get_queryset(self):
        return (
            selectors.with_overdue(RectificationItem.objects.for_user(self.request.user))
            .select_related("carried_to")
            .prefetch_related("attachments")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_item(actor=self.request.user, **data)

    def _answer(self, item, code=status.HTTP_200_OK):
        return self.current(item, status=code)

    @extend_schema(request=ItemChangeSerializer)
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        body = ItemChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.update_item(
            actor=request.user,
            item=item,
            version=self.expected_version(request, item.version),
            **body.validated_data,
        )
        return self._answer(item)

    @extend_schema(request=ProgressRequest, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None, **kwargs):
        """整改中: record the measures taken (the community's secretary or staff); optional
        evidence `files` (multipart)."""
        item = self.get_object()
        body = ProgressRequest(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.record_progress(
            actor=request.user,
            item=item,
            version=self.expected_version(request, item.version),
            measures=body.validated_data["measures"],
            uploads=request.FILES.getlist("files"),
        )
        return self._answer(item)

    @extend_schema(request=CloseRequest, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        """已销号 (county or town staff): `closure_note` required; evidence `files`
        (multipart) required unless files are already attached."""
        item = self.get_object()
        body = CloseRequest(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.close_item(
            actor=request.user,
            item=item,
            version=self.expected_version(request, item.version),
            closure_note=body.validated_data["closure_note"],
            uploads=request.FILES.getlist("files"),
        )
        return self._answer(item)

    @extend_schema(request=ReopenRequest, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, **kwargs):
        """Reopen a closed item (county admin/assessor), with a `reason`."""
        item = self.get_object()
        body = ReopenRequest(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.reopen_item(
            actor=request.user,
            item=item,
            version=self.expected_version(request, item.version),
            reason=body.validated_data["reason"],
        )
        return self._answer(item)

    def _cycle(self, request):
        body = CycleRequest(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = get_object_or_404(
            Cycle.objects.for_user(request.user), pk=body.validated_data["cycle"]
        )
        return cycle, body.validated_data.get("event")

    def _list_answer(self, items):
        rows = self.get_queryset().filter(pk__in=[i.pk for i in items]).order_by("pk")
        return Response(self.get_serializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CycleRequest,
        responses={201: RectificationItemSerializer(many=True), 404: BODY_NAMES_A_RECORD},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="carry-over",
        pagination_class=None,
        filter_backends=[],
    )
    def carry_over(self, request, **kwargs):
        """结转上期未完成整改 into `cycle` (idempotent); answers the new copies."""
        cycle, _event = self._cycle(request)
        return self._list_answer(services.carry_over(actor=request.user, cycle=cycle))

    @extend_schema(
        request=CycleRequest,
        responses={201: RectificationItemSerializer(many=True), 404: BODY_NAMES_A_RECORD},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="from-events",
        pagination_class=None,
        filter_backends=[],
    )
    def from_events(self, request, **kwargs):
        """Items for the cycle's verified deduction events without one: one `event`, or
        all of them (idempotent); answers the new items."""
        cycle, event_id = self._cycle(request)
        if event_id is None:
            return self._list_answer(services.create_from_events(actor=request.user, cycle=cycle))
        event = get_object_or_404(
            Event.objects.for_user(request.user), pk=event_id, participant__cycle=cycle
        )
        return self._list_answer([services.create_from_event(actor=request.user, event=event)])


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("rectification-items", RectificationItemViewSet, basename="rectificationitem")

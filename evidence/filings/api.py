"""REST API of reform-risk filings (/api/v1/reform-filings/, 改革风险备案): every write is
one call of `evidence.filings.services`; the actions need If-Match (missing → 428, stale →
412)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action

from assessment.models import Participant
from assessment.services import may_manage
from core.api import IF_MATCH, FilterSet, IdFilter, VersionedViewSetMixin
from evidence.events.api import ReasonRequest
from evidence.filings import services as filings
from evidence.models import ReformFiling


class FilingSerializer(serializers.ModelSerializer):
    participant = serializers.PrimaryKeyRelatedField(queryset=Participant.objects.none())
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ReformFiling
        fields = [
            "id",
            "participant",
            "title",
            "description",
            "risks",
            "status",
            "status_label",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "version",
        ]
        read_only_fields = [
            "status",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["participant"].queryset = Participant.objects.for_user(request.user)


class FilingFilter(FilterSet):
    cycle = IdFilter(field_name="participant__cycle")

    class Meta:
        model = ReformFiling
        fields = ["cycle", "participant", "status"]


@extend_schema(tags=[_("改革风险备案")])
class FilingViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reform-risk filings: a secretary files (create); county assessors approve/reject."""

    serializer_class = FilingSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = FilingFilter
    http_method_names = ["get", "post", "head", "options"]
    write_rules = dict.fromkeys(
        ("approve", "reject"), lambda user, filing: may_manage(user, filing.participant.cycle)
    )

    def get_queryset(self):
        return ReformFiling.objects.for_user(self.request.user).select_related(
            "participant__cycle__county"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = filings.file_reform(
            actor=self.request.user,
            participant=data["participant"],
            title=data["title"],
            description=data["description"],
            risks=data["risks"],
        )

    def _decide(self, request, approve):
        filing = self.get_object()
        body = ReasonRequest(data=request.data)
        body.is_valid(raise_exception=True)
        filing = filings.decide_filing(
            actor=request.user,
            filing=filing,
            version=self.expected_version(request, filing.version),
            approve=approve,
            reason=body.validated_data["reason"],
        )
        return self.current(filing)

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=FilingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, **kwargs):
        """待审批 → 已批准 (`reason` optional)."""
        return self._decide(request, approve=True)

    @extend_schema(request=ReasonRequest, parameters=[IF_MATCH], responses=FilingSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None, **kwargs):
        """待审批 → 不予批准 (`reason` required)."""
        return self._decide(request, approve=False)


def register(router):
    """Add the filing routes to the project's router."""
    router.register("reform-filings", FilingViewSet, basename="reformfiling")

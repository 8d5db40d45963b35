"""REST API of democratic appraisal, part B (issue 6): paper counts with double entry
(`/api/v1/paper-tallies/`), aggregate results respecting K (`/api/v1/survey-results/`),
survey settings per cycle (`/api/v1/survey-settings/{cycle}/`). Serializers only carry
data; the rules are in surveys.tallies and surveys.tallies.selectors."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessment.models import Cycle
from assessment.services import may_manage
from core.api import VersionedViewSetMixin
from indicators.models import SurveyCategory
from org.access import writes_only_for
from org.models import OrgUnit
from org.scope import Role
from scoring.access import STAFF_ROLES, cycle_access
from surveys.models import PaperTally
from surveys.tallies import selectors
from surveys.tallies import services as tallies

# ---------------------------------------------------------------------- paper counts


class PaperTallySerializer(serializers.ModelSerializer):
    keyed_by = serializers.StringRelatedField()

    class Meta:
        model = PaperTally
        fields = [
            "id",
            "cycle",
            "community",
            "category",
            "keyed_by",
            "satisfied",
            "basic",
            "unsatisfied",
            "unknown",
            "updated_at",
            "version",
        ]
        read_only_fields = ["keyed_by", "updated_at", "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "cycle" in self.fields:
            user = request.user
            self.fields["cycle"].queryset = Cycle.objects.for_user(user)
            self.fields["community"].queryset = OrgUnit.objects.for_user(user, tallies.KEYER_ROLES)
            self.fields["category"].queryset = SurveyCategory.objects.filter(
                template__frozen_for__in=Cycle.objects.for_user(user)
            )


class PaperTallyUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaperTally
        fields = tallies.COUNT_FIELDS


@extend_schema(tags=[gettext_lazy("民主评议")])
class PaperTallyViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Paper counts, one keying per person. A keyer reads only their own keyings (the
    second keyer must count blind: 双人录入); observers read every keying in scope."""

    serializer_class = PaperTallySerializer
    permission_classes = [permissions.IsAuthenticated, writes_only_for(tallies.KEYER_ROLES)]
    filterset_fields = ["cycle", "community", "category"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    write_rules = {"partial_update": lambda user, tally: tally.keyed_by_id == user.pk}

    queryset = PaperTally.objects.none()

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return self.queryset
        return (
            PaperTally.objects.for_user(user)
            .filter(
                Q(keyed_by=user) | Q(community__in=OrgUnit.objects.for_user(user, {Role.OBSERVER}))
            )
            .select_related("keyed_by", "cycle", "community", "category")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = tallies.key_tally(
            actor=self.request.user,
            cycle=data["cycle"],
            community=data["community"],
            category=data["category"],
            counts={f: data.get(f) for f in tallies.COUNT_FIELDS},
        )

    @extend_schema(responses=PaperTallySerializer)
    def partial_update(self, request, *args, **kwargs):
        """Correct one's own keying (If-Match: its ETag)."""
        tally = self.get_object()
        version = self.expected_version(request, tally.version)
        body = PaperTallyUpdateSerializer(tally, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        counts = {f: body.validated_data.get(f, getattr(tally, f)) for f in tallies.COUNT_FIELDS}
        tally = tallies.correct_tally(
            actor=request.user, tally=tally, version=version, counts=counts
        )
        return Response(PaperTallySerializer(tally, context={"request": request}).data)


# -------------------------------------------------------------------------- results


def _category(row):
    shown = row.shown
    return {
        "name": row.name,
        "weight": str(row.weight),
        "shown": shown,
        "satisfied": row.satisfied if shown else None,
        "basic": row.basic if shown else None,
        "unsatisfied": row.unsatisfied if shown else None,
        "unknown": row.unknown if shown else None,
        "counted": row.counted if shown else None,
        "rate": str(row.rate) if shown else None,
        "comments": row.comments,
    }


def _result(result):
    return {
        "community": result.community.code,
        "community_name": result.community.name,
        "town": result.community.town,
        "min_group_size": result.min_group_size,
        "no_ballots": result.no_ballots,
        "shown": result.shown,
        "counted": result.counted if result.shown else None,
        "rate": str(result.rate) if result.shown or result.no_ballots else None,
        "categories": [_category(row) for row in result.categories],
    }


CYCLE_PARAM = OpenApiParameter("cycle", int, required=True, description="考核周期 id")
COMMUNITY_PARAM = OpenApiParameter("community", str, description="社区编码")


@extend_schema(tags=[gettext_lazy("民主评议")])
class SurveyResultViewSet(viewsets.GenericViewSet):
    """Aggregate results per community (SPEC §3.4): staff over their scope from 评分中
    on; a secretary their own community after publication, without comments. Below K
    counted ballots a category's counts, rate and comments are null."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[CYCLE_PARAM, COMMUNITY_PARAM], responses={200: dict})
    def list(self, request, *args, **kwargs):
        cycle_id = request.query_params.get("cycle", "")
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not cycle_id.isdecimal():
            raise ValidationError({"cycle": [_("请用 cycle 参数指定考核周期。")]})
        cycle = get_object_or_404(
            Cycle.objects.for_user(request.user).select_related("county"), pk=int(cycle_id)
        )
        audience = selectors.results_audience(request.user, cycle)
        if audience is None:
            if cycle_access(request.user, cycle).sees_others:
                raise ValidationError({"cycle": [_("测评进行中，进入评分后才能查看测评结果。")]})
            raise Http404
        community = request.query_params.get("community")
        if community:
            audience = selectors.Audience(
                [c for c in audience.communities if c.code == community], audience.comments
            )
        rows = [_result(r) for r in selectors.aggregate_results(cycle, audience)]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page)


# ------------------------------------------------------------------------- settings


class SettingsCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    weight = serializers.CharField()


class SurveySettingsSerializer(serializers.Serializer):
    min_group_size = serializers.CharField(required=False)
    double_entry = serializers.BooleanField(required=False)
    categories = SettingsCategorySerializer(many=True, required=False)


def _settings(cycle):
    settings = tallies.settings_of(cycle)
    return {
        "cycle": cycle.pk,
        "min_group_size": settings.min_group_size,
        "double_entry": settings.double_entry,
        "categories": [
            {"id": c.pk, "name": c.name, "weight": str(c.weight)}
            for c in selectors.categories_of(cycle)
        ],
        "choice_values": {
            "satisfied": str(cycle.value_satisfied),
            "basic": str(cycle.value_basic),
            "unsatisfied": str(cycle.value_unsatisfied),
        },
        "version": settings.version,
    }


@extend_schema(tags=[gettext_lazy("民主评议")])
class SurveySettingsViewSet(VersionedViewSetMixin, viewsets.GenericViewSet):
    """A cycle's survey settings, by cycle id: staff read; county managers PATCH
    (If-Match). Choice values are read-only here (cycle settings)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SurveySettingsSerializer
    write_rules = {"partial_update": may_manage}

    def get_queryset(self):
        return (
            Cycle.objects.for_user(self.request.user, STAFF_ROLES)
            .filter(frozen_template__isnull=False)
            .select_related("county")
        )

    @extend_schema(responses={200: dict})
    def retrieve(self, request, pk=None, **kwargs):
        return Response(_settings(self.get_object()))

    @extend_schema(request=SurveySettingsSerializer, responses={200: dict})
    def partial_update(self, request, pk=None, **kwargs):
        cycle = self.get_object()
        version = self.expected_version(request, tallies.settings_of(cycle).version)
        body = SurveySettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        tallies.update_settings(
            actor=request.user,
            cycle=cycle,
            version=version,
            min_group_size=data.get("min_group_size"),
            double_entry=data.get("double_entry"),
            weights={c["id"]: c["weight"] for c in data.get("categories", [])},
        )
        cycle.refresh_from_db()
        return Response(_settings(cycle))


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("paper-tallies", PaperTallyViewSet, basename="papertally")
    router.register("survey-results", SurveyResultViewSet, basename="surveyresult")
    router.register("survey-settings", SurveySettingsViewSet, basename="surveysettings")

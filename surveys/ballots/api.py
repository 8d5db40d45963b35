"""Public ballot API (民主评议, /api/v1/ballots/): no account, the token is the only key.

GET  /api/v1/ballots/{token}/  what the ballot asks about (community, secretary, choices);
POST /api/v1/ballots/          {token, choice, comment} casts it (the token travels in
                               the body, so it stays out of URLs and logs of the write).

Refusals: unknown token 404, used 409, batch voided or appraisal over 410; throttled per
client address.
Rules in `surveys.ballots`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from core.client_ip import client_ip
from surveys.ballots import services as ballots
from surveys.models import Choice

REFUSAL_STATUS = {"unknown": 404, "used": 409, "void": 410, "closed": 410}


class BallotThrottle(SimpleRateThrottle):
    """Per client address, like the pages' guess counter: enough for a family sharing a
    phone or a neighbourhood behind one NAT, far too few to guess tokens."""

    scope = "ballot"
    rate = "60/min"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class BallotSerializer(serializers.Serializer):
    cycle = serializers.CharField(source="cycle.name")
    community = serializers.CharField(source="community.name")
    category = serializers.CharField(source="category.name")
    secretaries = serializers.ListField(source="secretary_names", child=serializers.CharField())
    question = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField()
    max_comment_length = serializers.SerializerMethodField()

    def get_question(self, opening) -> str:
        return str(ballots.QUESTION)

    def get_choices(self, opening) -> list[dict]:
        return [{"value": value, "label": str(label)} for value, label in Choice.choices]

    def get_max_comment_length(self, opening) -> int:
        return ballots.MAX_COMMENT_LENGTH


class CastRequest(serializers.Serializer):
    token = serializers.CharField(max_length=64)
    choice = serializers.CharField(max_length=16)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )


REFUSED = OpenApiResponse(
    response=inline_serializer("BallotRefused", {"token": serializers.ListField()}),
    description=_("404 评议码无效；409 已使用；410 该批评议票已作废或民主评议已结束"),
)


def _refused(refused):
    return Response({"token": [refused.message]}, status=REFUSAL_STATUS[refused.reason])


@extend_schema(tags=[_("民主评议")])
class BallotViewSet(viewsets.ViewSet):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [BallotThrottle]
    lookup_field = "token"
    lookup_value_regex = "[^/]+"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action == "retrieve":
            # The path carries the token: keep every answer to it (refusals, throttling)
            # out of Django's request log.
            response._has_been_logged = True
        return response

    @extend_schema(responses={200: BallotSerializer, 404: REFUSED, 409: REFUSED, 410: REFUSED})
    def retrieve(self, request, token=None, **kwargs):
        """What the ballot of this token asks: community, its secretary, cycle, choices."""
        try:
            opening = ballots.open_ballot(token)
        except ballots.TokenRefused as refused:
            return _refused(refused)
        return Response(BallotSerializer(opening).data)

    @extend_schema(
        request=CastRequest,
        responses={201: None, 400: None, 404: REFUSED, 409: REFUSED, 410: REFUSED},
    )
    def create(self, request, *args, **kwargs):
        """Cast the ballot: one choice (satisfied / basic / unsatisfied / unknown) and an
        optional comment (at most 500 characters). Nothing about the respondent is kept."""
        body = CastRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            ballots.cast_ballot(code=data["token"], choice=data["choice"], comment=data["comment"])
        except ballots.TokenRefused as refused:
            return _refused(refused)
        return Response(status=status.HTTP_201_CREATED)


def register(router):
    """Add this area's API routes to the project's router."""
    router.register("ballots", BallotViewSet, basename="ballot")

"""API conventions shared by every app's viewsets: pagination, filters, errors, and
optimistic locking with ETag / If-Match (DESIGN §4)."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.versioning import StaleVersion


class Pagination(PageNumberPagination):
    """50 rows a page by default; clients may ask for up to 500 with ?page_size=."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.Filter):
    """A related object by its id, taken as a plain whole number. django-filter's own
    choice filter looks the id up among all rows and answers 400 for one that does not
    exist, but an empty list for one outside scope: an outsider could tell which ids
    exist (DESIGN §4). A number matches nothing outside the scoped queryset, whether or
    not it exists elsewhere."""

    field_class = forms.IntegerField


class FilterSet(filters.FilterSet):
    """The base of every API list's filters: relations are filtered by `IdFilter`."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **dict.fromkeys(
            (
                models.ForeignKey,
                models.OneToOneField,
                models.ManyToManyField,
                models.OneToOneRel,
                models.ManyToOneRel,
                models.ManyToManyRel,
            ),
            {"filter_class": IdFilter},
        ),
    }


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, building `filterset_fields` on `FilterSet`."""

    filterset_base = FilterSet


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = _("修改或删除需要携带 If-Match 请求头（取自该记录的 ETag）。")
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = _("该记录已被他人修改，请重新获取后再提交。")
    default_code = "precondition_failed"


def exception_handler(exc, context):
    """Service errors become API errors: validation → 400 (always an object of field →
    messages), stale version → 412; 404 says nothing about what exists."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, ValidationError) and not isinstance(exc.detail, dict):
        # DRF's own plain messages (a search term with a NUL character) as well.
        exc = ValidationError({"non_field_errors": exc.detail})
    elif isinstance(exc, StaleVersion):
        exc = PreconditionFailed()
    elif isinstance(exc, Http404):
        exc = NotFound(_("不存在，或不在您的管理范围内。"))
    return drf_exception_handler(exc, context)


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the record as read, e.g. "3" (quotes included); a list '
    "of ETags matches if one of them is current, and * matches any version.",
)


def etag(version):
    """A record's ETag: its version, as a strong entity tag."""
    return f'"{version}"'


class VersionedViewSetMixin:
    """ETag on reads, If-Match on writes (DESIGN §4). Every answer that is one record
    (retrieve, create, update, and each action on one record, such as verify/) carries
    the record's version as its ETag, ready for the next If-Match.

    `write_rules`: for a write on one record, by action, who may make it — a predicate
    (user, record) taken from the services' own rules. It is checked with the record's
    permissions, as the record is looked up and before If-Match is read, so a caller
    whose role may not make the write gets 403 whatever the header says: preconditions
    are evaluated only for a request that may otherwise succeed (RFC 9110 §13.2.1), and
    428/412 tell nobody else anything about the record."""

    write_rules = {}

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        rule = self.write_rules.get(self.action)
        if rule is not None and not rule(request.user, obj):
            self.permission_denied(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        one_record = self.action in ("retrieve", "update", "partial_update", "create") or (
            getattr(self, "detail", False)
        )
        if one_record and isinstance(data, dict) and "version" in data:
            response["ETag"] = etag(data["version"])
        return response

    def current(self, obj, status=200):
        """The record as the viewset's queryset shows it now (after a service changed it)."""
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=status)

    def get_object_at_version(self, request):
        """The object, if the If-Match header names its current version."""
        obj = self.get_object()
        self.expected_version(request, obj.version)
        return obj

    def expected_version(self, request, current):
        """`current` (the version of the record as read) if the If-Match header names
        it, as RFC 9110 §13.1.1 has it: one of a list of entity tags is the record's
        ETag, or `*` (any version). The comparison is strong: a weak tag (`W/"3"`) never
        matches. No header → 428, no match → 412. The service checks the version again
        under its lock, so a change made in between is refused as stale too."""
        header = request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired()
        tags = parse_etags(header)
        if tags != ["*"] and etag(current) not in tags:
            raise PreconditionFailed()
        return current

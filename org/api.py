"""REST API of the org tree, accounts and memberships (/api/v1/).

Every queryset starts from `for_user`; writes go through the same services as the
browser. Editable records use optimistic locking: responses carry an `ETag` with the
record's version, and PUT/PATCH/DELETE require `If-Match` (missing → 428, stale → 412).
"""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import VersionedViewSetMixin
from org import services
from org.access import writes_only_for
from org.models import Membership, OrgUnit, Secretary, User
from org.scope import Role

ADMIN_ONLY = {Role.ADMIN}


# Reading follows scope; changing the org tree and accounts is for admins.
AdminWritesOnly = writes_only_for({Role.ADMIN})


class OrgUnitSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(), allow_null=True, required=False
    )

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "kind_label", "parent", "path", "depth", "version"]
        read_only_fields = ["path", "depth", "version"]
        # Uniqueness is checked by the service, which reports it in Chinese.
        extra_kwargs = {"code": {"validators": []}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["parent"].queryset = OrgUnit.objects.for_user(
                request.user, roles=ADMIN_ONLY
            )


@extend_schema(tags=[_("组织架构")])
class OrgUnitViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = OrgUnitSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
    filterset_fields = ["kind", "parent"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "path", "depth"]

    def get_queryset(self):
        user = self.request.user
        if self.request.method in permissions.SAFE_METHODS:
            return OrgUnit.objects.for_user(user).select_related("parent")
        return OrgUnit.objects.for_user(user, roles=ADMIN_ONLY)

    def perform_create(self, serializer):
        serializer.instance = services.create_org_unit(
            actor=self.request.user, **serializer.validated_data
        )

    def update(self, request, *args, **kwargs):
        unit = self.get_object()
        serializer = self.get_serializer(
            unit, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        unit = services.update_org_unit(
            actor=request.user,
            unit=unit,
            version=self.expected_version(request, unit.version),
            **serializer.validated_data,
        )
        return Response(self.get_serializer(unit).data)

    def destroy(self, request, *args, **kwargs):
        unit = self.get_object()
        services.delete_org_unit(
            actor=request.user, unit=unit, version=self.expected_version(request, unit.version)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none())

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "role_label", "org_unit", "is_active", "version"]
        read_only_fields = ["is_active", "version"]
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["user"].queryset = User.objects.manageable_by(request.user)
            self.fields["org_unit"].queryset = OrgUnit.objects.for_user(
                request.user, roles=ADMIN_ONLY
            )


@extend_schema(tags=[_("用户与授权")])
class MembershipViewSet(
    VersionedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MembershipSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWritesOnly]
    filterset_fields = ["role", "org_unit", "user", "is_active"]
    search_fields = ["user__username", "user__full_name", "org_unit__name"]
    ordering_fields = ["role", "org_unit__path", "user__username"]

    def get_queryset(self):
        user = self.request.user
        if self.request.method in permissions.SAFE_METHODS:
            return Membership.objects.for_user(user).select_related("org_unit", "user")
        return Membership.objects.manageable_by(user)

    def perform_create(self, serializer):
        serializer.instance = services.grant_membership(
            actor=self.request.user, **serializer.validated_data
        )

    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        services.revoke_membership(
            actor=request.user,
            membership=membership,
            version=self.expected_version(request, membership.version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserSerializer(serializers.ModelSerializer):
    # A plain string: an account without an address has "", which the `email` format
    # of an EmailField's schema would not allow.
    email = serializers.CharField(read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "phone", "email", "is_active", "memberships"]
        read_only_fields = fields


@extend_schema(tags=[_("用户与授权")])
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Accounts in scope. Accounts are created in the browser, where the password is set."""

    serializer_class = UserSerializer
    search_fields = ["username", "full_name"]
    ordering_fields = ["username", "full_name"]

    def get_queryset(self):
        # Each person's memberships are listed only where the caller may see them.
        visible = Membership.objects.for_user(self.request.user)
        return User.objects.for_user(self.request.user).prefetch_related(
            Prefetch("memberships", queryset=visible)
        )

    @action(detail=False)
    def me(self, request, *args, **kwargs):
        return Response(self.get_serializer(request.user).data)


class SecretarySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Secretary
        fields = [
            "id",
            "staff_no",
            "name",
            "community",
            "community_name",
            "tenure_start",
            "tenure_end",
            "has_social_work_certificate",
            "certificate_date",
        ]
        read_only_fields = fields


@extend_schema(tags=[_("社区书记")])
class SecretaryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SecretarySerializer
    filterset_fields = ["community"]
    search_fields = ["staff_no", "name", "community__name"]
    ordering_fields = ["staff_no", "name", "community__path", "tenure_start"]

    def get_queryset(self):
        return Secretary.objects.for_user(self.request.user).select_related("community")

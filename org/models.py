"""Org tree, people and roles (SPEC §1, §2).

Scope is org tree position × role. Every model a user reaches has a queryset with
`for_user(user)`; views and API viewsets start from it (DESIGN §4).
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# 通知 live in their own package; importing them here registers them with the org app.
from org.notifications.models import (  # noqa: F401
    Notification,
    NotificationKind,
    NotificationPreference,
)
from org.scope import SUBTREE_ROLES, Role, scope_of


class AuditedHistory(models.Model):
    """Extra columns on every historical table: where in the org tree the change happened.

    `scope_path` lets the audit page show an observer only changes within their scope
    with one indexed prefix filter, whatever the model.
    """

    scope_path = models.CharField(max_length=255, blank=True, default="", db_index=True)

    class Meta:
        abstract = True


def audit_history(**kwargs):
    return HistoricalRecords(bases=[AuditedHistory], **kwargs)


class OrgUnitKind(models.TextChoices):
    COUNTY = "county", _("县/区")
    TOWN = "town", _("乡镇/街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


# Which kind of unit may sit under which (SPEC §2: 县/区 → 乡镇/街道 → 社区 → 网格).
# A county may have a parent county-level unit (a city holding several counties).
ALLOWED_PARENT_KINDS = {
    OrgUnitKind.COUNTY: {None, OrgUnitKind.COUNTY},
    OrgUnitKind.TOWN: {OrgUnitKind.COUNTY},
    OrgUnitKind.COMMUNITY: {OrgUnitKind.TOWN},
    OrgUnitKind.GRID: {OrgUnitKind.COMMUNITY},
}


class OrgUnitQuerySet(models.QuerySet):
    def for_user(self, user, roles=tuple(Role)):
        """Units under the user's grants; a secretary reaches their community and grids."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        return self.filter(scope.path_q("path", roles))

    def subtree(self, unit):
        """The unit and everything under it, in one query (materialized path)."""
        return self.filter(path__startswith=unit.path)

    def with_child_count(self):
        """Annotate `n_children`. A correlated subquery, so a paginated list counts the
        children of its page only, not of the whole scope."""
        children = (
            OrgUnit.objects.filter(parent=OuterRef("pk"))
            .order_by()
            .values("parent")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(n_children=Coalesce(Subquery(children), 0))


class OrgUnit(models.Model):
    """A node of the org tree.

    The tree is stored as a materialized path of codes ("/QS/QS01/QS0101/"): descendants
    are one indexed prefix query and ancestors are read off the path, so scoping never
    walks the tree level by level. Codes are stable identifiers (SPEC §2), so the path
    is known before the row is written and its first audit record carries it.
    """

    code = models.CharField(
        _("编码"),
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9_.-]+$", _("编码只能包含字母、数字、点、横线和下划线。"))
        ],
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, blank=True, db_index=True)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history(table_name="assessment_historicalorgunit")
    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_orgunit"
        verbose_name = _("组织单位")
        verbose_name_plural = _("组织单位")
        ordering = ["path"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def audit_scope_path(self):
        # A move is stamped where both the old and the new place can see it.
        return getattr(self, "_audit_scope_hint", None) or self.path

    @property
    def ancestor_codes(self):
        return self.path.strip("/").split("/")[:-1]

    def ancestors(self):
        """Ancestors from the root down, in one query."""
        return OrgUnit.objects.filter(code__in=self.ancestor_codes).order_by("depth")

    def descendants(self, include_self=False):
        qs = OrgUnit.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def is_within(self, other):
        return self.path.startswith(other.path)

    def clean(self):
        errors = {}
        parent_kind = self.parent.kind if self.parent_id else None
        if self.kind and parent_kind not in ALLOWED_PARENT_KINDS[OrgUnitKind(self.kind)]:
            errors["parent"] = _("“%(kind)s”不能挂在“%(parent)s”下。") % {
                "kind": OrgUnitKind(self.kind).label,
                "parent": OrgUnitKind(parent_kind).label if parent_kind else _("顶层"),
            }
        if self.pk and self.parent_id and self.parent.path.startswith(self.path or "-"):
            errors["parent"] = _("上级单位不能是本单位或其下级。")
        if self.pk and self.kind:
            misfits = [
                c for c in self.children.all() if self.kind not in ALLOWED_PARENT_KINDS[c.kind]
            ]
            if misfits:
                errors["kind"] = _(
                    "下级单位“%(child)s”不能挂在“%(kind)s”下，不能改为这个类型。"
                ) % {
                    "child": misfits[0].name,
                    "kind": OrgUnitKind(self.kind).label,
                }
        if errors:
            raise ValidationError(errors)


class UserQuerySet(models.QuerySet):
    def for_user(self, user, roles=SUBTREE_ROLES):
        """Themself, and people holding a membership inside the user's subtrees.

        A town assessor sees the secretaries of their town; a secretary sees only
        themself. Accounts without any membership are seen by superusers only.
        """
        scope = scope_of(user)
        if scope.is_global:
            return self
        if not user.is_authenticated:
            return self.none()
        in_scope = Membership.objects.filter(scope.path_q("org_unit__path", roles))
        return self.filter(Q(pk=user.pk) | Q(pk__in=in_scope.values("user_id")))

    def manageable_by(self, user):
        """Accounts an admin may change: every membership of the account lies inside the
        admin's subtrees, and it is not a superuser. Someone who also holds a role
        elsewhere is managed by an admin above both, so no county admin can take over
        an account that reaches another county."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        admin_paths = scope.path_q("org_unit__path", {Role.ADMIN})
        inside = Membership.objects.filter(admin_paths).values("user_id")
        outside = Membership.objects.exclude(admin_paths).values("user_id")
        return self.filter(is_superuser=False, pk__in=inside).exclude(pk__in=outside)


class AppUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """An account. Chinese names are not split in first/last, so one `full_name`."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    first_name = None
    last_name = None
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(
        table_name="assessment_historicaluser", excluded_fields=["password", "last_login"]
    )
    objects = AppUserManager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_user"
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    def audit_scope_path(self):
        # A new account is saved before its first membership; the service names the
        # unit it is being created for so that its first audit record is in scope.
        hint = getattr(self, "_audit_scope_hint", None)
        if hint is not None:
            return hint
        paths = [m.org_unit.path for m in self.memberships.select_related("org_unit")]
        return common_path(paths)


def common_path(paths):
    """The deepest org path shared by all `paths` ("" when there are none)."""
    if not paths:
        return ""
    parts = [p.strip("/").split("/") for p in paths]
    shared = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        shared.append(level[0])
    return "/" + "".join(f"{p}/" for p in shared) if shared else ""


# Which kind of unit each role is bound to (SPEC §1).
ROLE_UNIT_KINDS = {
    Role.ADMIN: {OrgUnitKind.COUNTY},
    Role.COUNTY_ASSESSOR: {OrgUnitKind.COUNTY},
    Role.TOWN_ASSESSOR: {OrgUnitKind.TOWN},
    Role.SECRETARY: {OrgUnitKind.COMMUNITY},
    Role.OBSERVER: {OrgUnitKind.COUNTY, OrgUnitKind.TOWN},
}


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user, roles=SUBTREE_ROLES):
        scope = scope_of(user)
        if scope.is_global:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(user=user) | scope.path_q("org_unit__path", roles))

    def manageable_by(self, user):
        """Memberships an admin may change: at a unit inside the admin's subtrees, of an
        account the admin manages."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        return self.filter(
            scope.path_q("org_unit__path", {Role.ADMIN}),
            user__in=User.objects.manageable_by(user),
        )

    def active(self):
        return self.filter(is_active=True)


class Membership(models.Model):
    """A user holding a role at an org unit. A user may hold several."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="memberships"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history(table_name="assessment_historicalmembership")
    objects = MembershipQuerySet.as_manager()
    audit_repr_fields = ("user", "role", "org_unit")

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_membership"
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="membership_unique_role_at_unit"
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.org_unit.name}"

    def audit_scope_path(self):
        return self.org_unit.path

    def clean(self):
        if self.role and self.org_unit_id:
            allowed = ROLE_UNIT_KINDS[Role(self.role)]
            if self.org_unit.kind not in allowed:
                raise ValidationError(
                    {
                        "org_unit": _("“%(role)s”只能绑定到%(kinds)s。")
                        % {
                            "role": Role(self.role).label,
                            "kinds": "、".join(str(OrgUnitKind(k).label) for k in allowed),
                        }
                    }
                )


class SecretaryQuerySet(models.QuerySet):
    def for_user(self, user, roles=SUBTREE_ROLES):
        scope = scope_of(user)
        if scope.is_global:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(user=user) | scope.path_q("community__path", roles))

    def current(self, on=None):
        """Secretaries in post on the given date (default: today)."""
        on = on or timezone.localdate()
        return self.filter(Q(tenure_end__isnull=True) | Q(tenure_end__gte=on), tenure_start__lte=on)


class Secretary(models.Model):
    """A person holding the secretary post of one community for a period (SPEC §2).

    Minimal personal data: staff number, name, tenure, social-work certificate. No
    ID-card numbers.
    """

    staff_no = models.CharField(_("工号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="secretaries",
        limit_choices_to={"kind": OrgUnitKind.COMMUNITY},
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="secretary",
    )
    tenure_start = models.DateField(_("任职开始"))
    tenure_end = models.DateField(_("任职结束"), null=True, blank=True)
    has_social_work_certificate = models.BooleanField(_("持社工证"), default=False)
    certificate_date = models.DateField(_("取证日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalsecretary")
    objects = SecretaryQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_secretary"
        verbose_name = _("社区书记")
        verbose_name_plural = _("社区书记")
        ordering = ["staff_no"]

    def __str__(self):
        return f"{self.name}（{self.staff_no}）"

    def audit_scope_path(self):
        return self.community.path

    def clean(self):
        errors = {}
        if self.community_id and self.community.kind != OrgUnitKind.COMMUNITY:
            errors["community"] = _("书记只能任职于社区。")
        if self.tenure_end and self.tenure_start and self.tenure_end < self.tenure_start:
            errors["tenure_end"] = _("任职结束日期不能早于开始日期。")
        if self.certificate_date and not self.has_social_work_certificate:
            errors["certificate_date"] = _("未持社工证时不应填写取证日期。")
        if errors:
            raise ValidationError(errors)


class CommunityWorkerQuerySet(models.QuerySet):
    def for_user(self, user, roles=SUBTREE_ROLES):
        scope = scope_of(user)
        if scope.is_global:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(scope.path_q("community__path", roles))

    def in_post(self, start, end):
        """Workers in post at some time between `start` and `end` (inclusive)."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start), started_on__lte=end)


class CommunityWorker(models.Model):
    """社区工作者: one person on a community's staff roster, with their social-work
    certificate (社工证). The roster is what 社工持证率 counts (the community's staff, not
    its secretary alone). Minimal personal data: name, post, dates, certificate."""

    community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="workers",
        limit_choices_to={"kind": OrgUnitKind.COMMUNITY},
    )
    name = models.CharField(_("姓名"), max_length=50)
    post = models.CharField(_("岗位"), max_length=50, blank=True)
    started_on = models.DateField(_("入职日期"))
    ended_on = models.DateField(_("离职日期"), null=True, blank=True)
    has_certificate = models.BooleanField(_("持社工证"), default=False)
    certificate_date = models.DateField(_("取证日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = CommunityWorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区工作者")
        verbose_name_plural = _("社区工作者")
        ordering = ["community__path", "name", "pk"]

    def __str__(self):
        return f"{self.name}（{self.community.name}）"

    def audit_scope_path(self):
        return self.community.path

    def clean(self):
        errors = {}
        if self.community_id and self.community.kind != OrgUnitKind.COMMUNITY:
            errors["community"] = _("社区工作者只能属于社区。")
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("离职日期不能早于入职日期。")
        if self.certificate_date and not self.has_certificate:
            errors["certificate_date"] = _("未持社工证时不应填写取证日期。")
        if errors:
            raise ValidationError(errors)

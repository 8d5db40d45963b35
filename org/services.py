"""Writes to the org tree, accounts and memberships: one function per use case.

Every function validates everything first and writes in one transaction, so a refused
request changes nothing. The acting user is recorded in the audit trail; `actor=None`
means the system itself (demo data, imports run by a command).

Scope is enforced here too, not only in views: an admin places units, manages accounts
and grants roles only inside their own subtrees (`PermissionDenied` otherwise).
Optimistic locking (DESIGN §4): callers pass the `version` they read; a different
current version raises `StaleVersion` and nothing is written.
"""

import re
from datetime import date

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from core.versioning import lock_at_version
from org.models import CommunityWorker, Membership, OrgUnit, Secretary, User, common_path
from org.scope import Role, forget_scope, scope_of


def _save(obj, actor, **save_kwargs):
    obj._history_user = actor
    obj.full_clean()
    obj.save(**save_kwargs)
    return obj


def _check_manages(actor, user):
    if actor is not None and not User.objects.manageable_by(actor).filter(pk=user.pk).exists():
        raise PermissionDenied


def _check_may_place(actor, parent):
    """Admins create and move units only inside their subtree; top-level units are for
    superusers, so no admin can create a unit they could not see."""
    if actor is None:
        return
    scope = scope_of(actor)
    if scope.is_global:
        return
    if parent is None or not scope.covers_path(parent.path, {Role.ADMIN}):
        raise ValidationError({"parent": _("请选择您管理范围内的上级单位。")})


def _locked_parent(parent):
    # The parent's path is read under a lock so a concurrent move cannot leave the new
    # or moved unit with a stale path.
    return OrgUnit.objects.select_for_update().get(pk=parent.pk) if parent else None


def _place(unit):
    parent_path = unit.parent.path if unit.parent_id else "/"
    unit.path = f"{parent_path}{unit.code}/"
    unit.depth = unit.path.count("/") - 2


@transaction.atomic
def create_org_unit(*, actor, code, name, kind, parent=None):
    parent = _locked_parent(parent)
    _check_may_place(actor, parent)
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent)
    unit.full_clean()
    _place(unit)
    return _save(unit, actor)


@transaction.atomic
def update_org_unit(*, actor, unit, version, **changes):
    """Change name, kind or parent. Codes are stable identifiers (SPEC §2) and do not
    change. Moving a unit rewrites its subtree's paths; the move is audited where both
    the old and the new place can see it."""
    unit = lock_at_version(OrgUnit, unit.pk, version)
    if "code" in changes and changes["code"] != unit.code:
        raise ValidationError({"code": _("编码是单位的固定标识，创建后不能修改。")})
    changes.pop("code", None)
    old_path = unit.path
    if "parent" in changes and changes["parent"] != unit.parent:
        changes["parent"] = _locked_parent(changes["parent"])
        _check_may_place(actor, changes["parent"])
    for field, value in changes.items():
        setattr(unit, field, value)
    unit.full_clean()
    _place(unit)
    new_path = unit.path
    if new_path != old_path:
        unit._audit_scope_hint = common_path([old_path, new_path])
    unit.version += 1
    _save(unit, actor)
    if new_path != old_path:
        depth_change = unit.depth - (old_path.count("/") - 2)
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_change,
        )
    return unit


@transaction.atomic
def delete_org_unit(*, actor, unit, version):
    unit = lock_at_version(OrgUnit, unit.pk, version)
    _check_may_place(actor, unit)
    if unit.children.exists():
        raise ValidationError(_("“%(name)s”下还有下级单位，不能删除。") % {"name": unit.name})
    if unit.memberships.exists() or unit.secretaries.exists():
        raise ValidationError(
            _("“%(name)s”仍有用户授权或书记任职记录，不能删除。") % {"name": unit.name}
        )
    if unit.templates.exists() or unit.cycles.exists():
        raise ValidationError(
            _("“%(name)s”已有指标体系或考核周期，不能删除。") % {"name": unit.name}
        )
    unit._history_user = actor
    unit.delete()


@transaction.atomic
def create_user(*, actor, username, full_name, password, role, org_unit, phone="", email=""):
    """A new account together with its first role: no account is left without scope."""
    if actor is not None and not scope_of(actor).covers_path(org_unit.path, {Role.ADMIN}):
        raise PermissionDenied
    user = User(username=username, full_name=full_name, phone=phone, email=email)
    errors = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    membership = Membership(role=role, org_unit=org_unit)
    try:
        membership.clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user._history_user = actor
    user._audit_scope_hint = org_unit.path
    user.save()
    membership.user = user
    _save(membership, actor)
    return user


@transaction.atomic
def update_user(*, actor, user, version, **changes):
    _check_manages(actor, user)
    if actor is not None and actor.pk == user.pk and changes.get("is_active") is False:
        raise ValidationError({"is_active": _("不能停用自己的账号。")})
    user = lock_at_version(User, user.pk, version)
    for field, value in changes.items():
        setattr(user, field, value)
    user.version += 1
    user._history_user = actor
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def set_password(*, actor, user, password):
    """An admin sets a new password: it also lifts a lockout and revokes the API token,
    since a reset usually means the old credentials are no longer the person's."""
    _check_manages(actor, user)
    _replace_password(user, password, by=actor, reason=_("管理员重设密码"))
    axes_reset(username=user.username)
    return user


@transaction.atomic
def change_own_password(*, user, password):
    """Someone changes their own password (the old one checked by the form): the API
    token goes with the old password, as after an admin's reset. The caller keeps the
    session that made the change signed in; the person's other sessions end."""
    return _replace_password(user, password, by=user, reason=_("本人修改密码"))


def _replace_password(user, password, *, by, reason):
    """Check the password rules, store the new password audited, revoke the API token."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user._history_user = by
    user._change_reason = reason
    user.save(update_fields=["password"])
    Token.objects.filter(user=user).delete()
    return user


@transaction.atomic
def unlock_login(*, actor, user):
    """Lift a lockout (django-axes) of this user name before its cool-off ends; the
    unlock is audited on the account."""
    _check_manages(actor, user)
    axes_reset(username=user.username)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.version += 1
    user._history_user = actor
    user._change_reason = _("解除登录锁定")
    user.save(update_fields=["version"])
    return user


def is_locked_out(user):
    return AccessAttempt.objects.filter(
        username=user.username,
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    ).exists()


@transaction.atomic
def grant_membership(*, actor, user, role, org_unit):
    _check_manages(actor, user)
    if actor is not None and not scope_of(actor).covers_path(org_unit.path, {Role.ADMIN}):
        raise PermissionDenied
    if Membership.objects.filter(user=user, role=role, org_unit=org_unit).exists():
        raise ValidationError(_("该用户在此单位已有这个角色。"))
    membership = _save(Membership(user=user, role=role, org_unit=org_unit), actor)
    forget_scope(user)
    return membership


def _check_may_change_membership(actor, membership, *, taking_away):
    if actor is None:
        return
    if not Membership.objects.manageable_by(actor).filter(pk=membership.pk).exists():
        raise PermissionDenied
    if taking_away and membership.user_id == actor.pk and membership.role == Role.ADMIN:
        raise ValidationError(_("不能停用或撤销自己的系统管理员授权，请由其他管理员操作。"))


@transaction.atomic
def set_membership_active(*, actor, membership, version, is_active):
    membership = lock_at_version(Membership, membership.pk, version)
    _check_may_change_membership(actor, membership, taking_away=not is_active)
    membership.is_active = is_active
    membership.version += 1
    _save(membership, actor)
    forget_scope(membership.user)
    return membership


@transaction.atomic
def revoke_membership(*, actor, membership, version):
    membership = lock_at_version(Membership, membership.pk, version)
    _check_may_change_membership(actor, membership, taking_away=True)
    membership._history_user = actor
    membership.delete()
    forget_scope(membership.user)


@transaction.atomic
def save_secretary(*, actor, secretary, version=None):
    """Create (no pk) or update (pk and the version read) a secretary's post record."""
    if secretary.pk:
        current = lock_at_version(Secretary, secretary.pk, version)
        secretary.version = current.version + 1
    return _save(secretary, actor)


# Who records secretaries' posts (书记任职): admins and county assessors, in their subtree.
SECRETARY_EDITORS = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR})


def linkable_secretary_accounts(actor, secretary=None):
    """Accounts a post record may be linked to: holding an active 社区书记 membership at a
    community in the actor's scope, and not linked to another post record."""
    memberships = Membership.objects.active().filter(role=Role.SECRETARY)
    accounts = User.objects.all()
    if actor is not None:
        scope = scope_of(actor)
        accounts = User.objects.for_user(actor, roles=SECRETARY_EDITORS)
        if not scope.is_global:
            memberships = memberships.filter(scope.path_q("org_unit__path", SECRETARY_EDITORS))
    linked = Secretary.objects.exclude(user=None)
    if secretary is not None and secretary.pk:
        linked = linked.exclude(pk=secretary.pk)
    return accounts.filter(pk__in=memberships.values("user_id")).exclude(
        pk__in=linked.values("user_id")
    )


def _check_may_record_post(actor, secretary, *, account_changed):
    if actor is None:
        return
    if secretary.community_id and not scope_of(actor).covers_path(
        secretary.community.path, SECRETARY_EDITORS
    ):
        raise PermissionDenied
    if (
        account_changed
        and secretary.user_id
        and not linkable_secretary_accounts(actor, secretary).filter(pk=secretary.user_id).exists()
    ):
        raise PermissionDenied


@transaction.atomic
def create_secretary(*, actor, **fields):
    """Record a secretary's post at a community (SPEC §2). A successor is recorded as a
    new record for the same community with a later tenure start; both stay on file."""
    secretary = Secretary(**fields)
    _check_may_record_post(actor, secretary, account_changed=True)
    return save_secretary(actor=actor, secretary=secretary)


@transaction.atomic
def update_secretary(*, actor, secretary, version, **changes):
    """Change a post record; setting the tenure end ends the post. The staff number is a
    fixed identifier. The record must lie in the actor's scope before and after."""
    secretary = lock_at_version(Secretary, secretary.pk, version)
    _check_may_record_post(actor, secretary, account_changed=False)
    if "staff_no" in changes and changes["staff_no"] != secretary.staff_no:
        raise ValidationError({"staff_no": _("工号是书记的固定标识，创建后不能修改。")})
    changes.pop("staff_no", None)
    account_changed = (
        "user" in changes and getattr(changes["user"], "pk", None) != secretary.user_id
    )
    for field, value in changes.items():
        setattr(secretary, field, value)
    _check_may_record_post(actor, secretary, account_changed=account_changed)
    return save_secretary(actor=actor, secretary=secretary, version=version)


# ------------------------------------------------------------- 社区工作者名册

# Who keeps a community's staff roster: its county's admins and assessors, and the
# assessors of its town.
WORKER_EDITORS = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})
# One paste of the roster at most (a community's staff is a few dozen people).
MAX_WORKER_LINES = 500


# Listeners told (inside the transaction) that a community's roster changed: the
# assessment app marks the inputs of the county's running cycles changed, since
# 社工持证率 counts the roster. Each takes the community.
ROSTER_LISTENERS = []


def on_roster_changed(listener):
    if listener not in ROSTER_LISTENERS:
        ROSTER_LISTENERS.append(listener)
    return listener


def _roster_changed(community):
    for listener in ROSTER_LISTENERS:
        listener(community)


def may_keep_roster(actor, community):
    return actor is None or scope_of(actor).covers_path(community.path, WORKER_EDITORS)


def _check_roster(actor, community):
    if not may_keep_roster(actor, community):
        raise PermissionDenied


def save_worker(*, actor, worker, version=None):
    """Add (no pk) or change (pk and the version read) one person of the roster."""
    with transaction.atomic():
        _check_roster(actor, worker.community)
        if worker.pk:
            current = lock_at_version(CommunityWorker, worker.pk, version)
            if current.community_id != worker.community_id:
                _check_roster(actor, current.community)
            worker.version = current.version + 1
            if current.community_id != worker.community_id:
                _roster_changed(current.community)
        saved = _save(worker, actor)
        _roster_changed(saved.community)
        return saved


def delete_worker(*, actor, worker, version):
    """Remove a person entered by mistake (someone who left gets a 离职日期 instead)."""
    with transaction.atomic():
        current = lock_at_version(CommunityWorker, worker.pk, version)
        _check_roster(actor, current.community)
        current._history_user = actor
        current.delete()
        _roster_changed(current.community)


ROSTER_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _roster_date(text, line, label):
    """A date as Excel pastes it: 2024-03-01, 2024/3/1, 2024.3.1 or 2024年3月1日."""
    found = ROSTER_DATE.match(text)
    try:
        return date(*(int(part) for part in found.groups()))
    except (AttributeError, ValueError):
        raise ValidationError(
            _("第 %(n)d 行：%(label)s“%(value)s”不是日期，请写成 2024-03-01。")
            % {"n": line, "label": label, "value": text}
        ) from None


def import_workers(*, actor, community, text):
    """从 Excel 粘贴导入: rows of 姓名, 岗位, 入职日期, 持社工证 (是/否), 取证日期 (tab
    separated, a header row allowed). A person already on the roster (same name and
    入职日期) is updated; nothing is written unless every row is right. Returns
    (added, changed)."""
    _check_roster(actor, community)
    lines = [row for row in (text or "").splitlines() if row.strip()]
    if lines and lines[0].split("\t")[0].strip() == "姓名":
        lines = lines[1:]
    if not lines:
        raise ValidationError(
            _("请粘贴名册：每行依次为姓名、岗位、入职日期、持社工证（是/否）、取证日期。")
        )
    if len(lines) > MAX_WORKER_LINES:
        raise ValidationError(_("一次最多导入 %(n)d 行。") % {"n": MAX_WORKER_LINES})
    rows, errors, seen = [], [], {}
    for n, line in enumerate(lines, 1):
        cells = [c.strip() for c in line.split("\t")] + [""] * 5
        name, post, started, certified, obtained = cells[:5]
        try:
            if not name:
                raise ValidationError(_("第 %(n)d 行：缺少姓名。") % {"n": n})
            if certified not in ("是", "否", ""):
                raise ValidationError(
                    _("第 %(n)d 行：持社工证应填“是”或“否”，不是“%(v)s”。")
                    % {"n": n, "v": certified}
                )
            if not started:
                raise ValidationError(_("第 %(n)d 行：缺少入职日期。") % {"n": n})
            worker = CommunityWorker(
                community=community,
                name=name,
                post=post,
                started_on=_roster_date(started, n, _("入职日期")),
                has_certificate=certified == "是",
                certificate_date=_roster_date(obtained, n, _("取证日期")) if obtained else None,
            )
            worker.full_clean()
            key = (worker.name, worker.started_on)
            if key in seen:
                raise ValidationError(
                    _("第 %(n)d 行：与第 %(m)d 行重复（同一姓名和入职日期）。")
                    % {"n": n, "m": seen[key]}
                )
            seen[key] = n
        except ValidationError as exc:
            errors.extend(
                exc.messages
                if not hasattr(exc, "error_dict")
                else [_("第 %(n)d 行：%(m)s") % {"n": n, "m": m} for m in exc.messages]
            )
            continue
        rows.append(worker)
    if errors:
        raise ValidationError(errors)
    added = changed = 0
    with transaction.atomic():
        existing = {
            (w.name, w.started_on): w
            for w in CommunityWorker.objects.select_for_update().filter(community=community)
        }
        for worker in rows:
            current = existing.get((worker.name, worker.started_on))
            if current is None:
                _save(worker, actor)
                added += 1
                continue
            fields = ("post", "has_certificate", "certificate_date")
            if any(getattr(current, f) != getattr(worker, f) for f in fields):
                for f in fields:
                    setattr(current, f, getattr(worker, f))
                current.version += 1
                _save(current, actor)
                changed += 1
        if added or changed:
            _roster_changed(community)
    return added, changed

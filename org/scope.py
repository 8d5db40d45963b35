"""Roles and scope: what part of the org tree a user reaches (SPEC §1, DESIGN §4).

A user's scope is the union of the subtrees of their active memberships. A secretary
membership reaches only the secretary themself and their community, never the other
people of that community. Superusers (break-glass accounts) reach everything.

The scope is read once per request (one query) and kept on the user object.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    COUNTY_ASSESSOR = "county_assessor", _("县级考核员")
    TOWN_ASSESSOR = "town_assessor", _("镇街考核员")
    SECRETARY = "secretary", _("社区书记")
    OBSERVER = "observer", _("纪检监督")


# Roles whose membership reaches the whole subtree of its unit.
SUBTREE_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER})


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: int
    unit_path: str


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_global: bool
    grants: tuple[Grant, ...]

    @property
    def roles(self):
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles):
        return self.is_global or any(g.role in roles for g in self.grants)

    def paths(self, roles=SUBTREE_ROLES):
        return sorted({g.unit_path for g in self.grants if g.role in roles})

    def path_q(self, field, roles=SUBTREE_ROLES):
        """Q matching rows whose `field` (an org path) lies under one of the grants."""
        paths = self.paths(roles)
        if not paths:
            return Q(pk__in=[])
        return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))

    def covers_path(self, path, roles=SUBTREE_ROLES):
        return self.is_global or any(path.startswith(p) for p in self.paths(roles))


ANONYMOUS = Scope(user_id=None, is_global=False, grants=())


def scope_of(user):
    """The user's scope, loaded once and cached on the user object."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_scope_cache", None)
    if cached is not None:
        return cached
    rows = user.memberships.filter(is_active=True).values_list(
        "role", "org_unit_id", "org_unit__path"
    )
    scope = Scope(
        user_id=user.pk,
        is_global=user.is_superuser,
        grants=tuple(Grant(Role(role), unit_id, path) for role, unit_id, path in rows),
    )
    user._scope_cache = scope
    return scope


def forget_scope(user):
    """Drop the cached scope after the user's memberships changed."""
    user.__dict__.pop("_scope_cache", None)


def _ancestor_paths(path):
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def county_q(user, field, roles=tuple(Role)):
    """Q for rows belonging to a county (`field` names the county unit) that one of the
    user's grants lies in or above.

    Everyone in a county reads its cycles and indicator templates: a town assessor and
    a secretary are assessed by them, though the county unit is above their grant."""
    q = Q(pk__in=[])
    for grant in scope_of(user).grants:
        if grant.role in roles:
            q |= Q(**{f"{field}__path__startswith": grant.unit_path})
            q |= Q(**{f"{field}__path__in": _ancestor_paths(grant.unit_path)})
    return q

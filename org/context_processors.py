"""Navigation by role: each entry names the roles that see it (DESIGN §4: a role never
sees a link to a page it does not have); and the 通知 bell."""

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from org.notifications.selectors import unread_count
from org.scope import Role, scope_of

ALL = tuple(Role)

NAVIGATION = [
    ("home", _("首页"), "bi-house", ALL),
    (
        "dashboard",
        _("工作台"),
        "bi-speedometer2",
        (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER),
    ),
    ("cycle-list", _("考核周期"), "bi-calendar-check", ALL),
    ("template-list", _("指标体系"), "bi-list-check", ALL),
    ("records-home", _("民情直报"), "bi-journal-richtext", ALL),
    ("orgunit-list", _("组织架构"), "bi-diagram-3", ALL),
    (
        "secretary-list",
        _("社区书记"),
        "bi-person-badge",
        (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER),
    ),
    ("import-list", _("数据导入"), "bi-file-earmark-arrow-up", (Role.ADMIN, Role.COUNTY_ASSESSOR)),
    ("user-list", _("用户管理"), "bi-people", (Role.ADMIN,)),
    ("audit-log", _("审计日志"), "bi-journal-text", (Role.ADMIN, Role.OBSERVER)),
]
# In the user menu, not the bar (the bar keeps to one row at 1280 px).
API_DOCS_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    current = request.resolver_match.url_name if request.resolver_match else None
    items = [
        {"url": reverse(name), "label": label, "icon": icon, "active": name == current}
        for name, label, icon, roles in NAVIGATION
        if scope.has_role(*roles)
    ]
    return {
        "nav_items": items,
        "api_docs_url": reverse("api-docs") if scope.has_role(*API_DOCS_ROLES) else "",
        "role_labels": sorted({str(Role(g.role).label) for g in scope.grants}),
    }


class Bell:
    """The nav bar's 通知 bell: the unread count is read when a page shows it, once
    (one query), so a page or fragment without the bell costs nothing."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self):
        return unread_count(self.user)


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}

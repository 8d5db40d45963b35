from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from assessment import api as cycle_api
from config.health import healthz
from evidence.events import api as events_api
from evidence.filings import api as filings_api
from evidence.keytasks import api as keytasks_api
from evidence.records import api as records_api
from evidence.rectification import api as rectification_api
from indicators import api as indicators_api
from org import api as org_api
from org.views.auth import LoginView, PasswordChangeView
from scoring import api as scoring_api
from scoring.appeals import api as appeal_api
from surveys import api as surveys_api

router = DefaultRouter()
router.register("org-units", org_api.OrgUnitViewSet, basename="orgunit")
router.register("users", org_api.UserViewSet, basename="user")
router.register("memberships", org_api.MembershipViewSet, basename="membership")
router.register("secretaries", org_api.SecretaryViewSet, basename="secretary")
router.register("cycles", cycle_api.CycleViewSet, basename="cycle")
router.register("participants", cycle_api.ParticipantViewSet, basename="participant")
router.register("templates", indicators_api.TemplateViewSet, basename="template")
router.register("indicator-nodes", indicators_api.NodeViewSet, basename="indicatornode")
router.register("event-types", indicators_api.EventTypeViewSet, basename="eventtype")
router.register("metrics", indicators_api.MetricViewSet, basename="metric")
router.register(
    "survey-categories", indicators_api.SurveyCategoryViewSet, basename="surveycategory"
)
router.register("score-entries", scoring_api.ScoreEntryViewSet, basename="scoreentry")
router.register("results", scoring_api.ResultViewSet, basename="result")
router.register("result-versions", scoring_api.ResultVersionViewSet, basename="resultversion")
router.register("appeals", appeal_api.AppealViewSet, basename="appeal")
for area in (events_api, filings_api, records_api, keytasks_api, rectification_api, surveys_api):
    area.register(router)

accounts = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

# Swagger UI sets inline styles; scripts stay 'self'-only, on this page as everywhere.
api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    # Break-glass tool for superusers only; daily work happens in the product pages.
    path("django-admin/", admin.site.urls),
    path("indicators/", include("indicators.urls")),
    path("scoring/", include("scoring.urls")),
    path("surveys/", include("surveys.urls")),
    path("", include("reports.urls")),
    # Ballot slips' QR codes point here: short, public, no login (SPEC §1 评议人).
    path("b/", include("surveys.public_urls")),
    path("", include("org.urls")),
    path("", include("assessment.urls")),
    path("", include("scoring.appeals.urls")),
    path("", include("evidence.urls")),
]

# A database that cannot be reached answers 503 and says nothing was saved (core/errors.py).
handler500 = "core.errors.server_error"
# The API answers JSON whatever path it is given (core/errors.py).
handler404 = "core.errors.page_not_found"

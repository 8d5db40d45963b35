"""The Django admin is a break-glass window, not a way around the services (SPEC §2: a
published cycle refuses every write, whatever the path): to a superuser it adds and
deletes nothing of the project's data, and changes only accounts and a county's 文号
prefix."""

from django.contrib import admin
from django.test import RequestFactory

from org.models import User
from reports.models import DocumentCounter

PROJECT_APPS = {"org", "indicators", "assessment", "scoring", "evidence", "surveys", "reports"}
CHANGEABLE = {DocumentCounter: {"prefix"}}


def test_the_django_admin_changes_no_assessment_data_even_for_a_superuser(db):
    request = RequestFactory().get("/django-admin/")
    request.user = User(username="root", is_superuser=True, is_staff=True, is_active=True)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS or model is User:
            continue  # accounts: org.admin (the break-glass password reset)
        label = model._meta.label
        assert not model_admin.has_delete_permission(request), label
        assert not model_admin.has_add_permission(request), label
        if model in CHANGEABLE:
            editable = set(model_admin.get_fields(request)) - set(
                model_admin.get_readonly_fields(request)
            )
            assert editable == CHANGEABLE[model], label
        else:
            assert not model_admin.has_change_permission(request), label

"""What every app's browser views share: breadcrumbs, service-backed forms, small helpers."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse

from core.versioning import StaleVersion


def apply_validation_error(form, exc, renamed=None):
    """Show a service's ValidationError on the form: by field where the form has it.

    `renamed` maps a service's field name to the form's, where they differ.
    """
    renamed = renamed or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = renamed.get(field, field)
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class BreadcrumbsMixin:
    """Views list their trail as (label, url) pairs; the last one is the page itself."""

    def get_breadcrumbs(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = self.get_breadcrumbs()
        return context


class ServiceFormMixin:
    """A form view whose valid form runs one service call; the service decides.

    `run_service` returns (result, None) on success, or (None, response) when the service
    refused: its ValidationError is shown on the form (service field names renamed by
    `service_field_names`), and a StaleVersion shows the record as the other person
    saved it (template variable `current`).
    """

    service_field_names = {}

    def run_service(self, form, call):
        try:
            return call(), None
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            context = self.get_context_data(form=form, current=exc.current)
            return None, self.render_to_response(context)
        except ValidationError as exc:
            apply_validation_error(form, exc, self.service_field_names)
            return None, self.form_invalid(form)


def report_refusal(request, exc):
    """A service's refusal as a message on the next page."""
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


def file_download(content, name, content_type):
    """A document as a download: `content` bytes or an open file; the name in RFC 5987
    `filename*` (Chinese names), never sniffed, never cached."""
    if isinstance(content, bytes):
        content = io.BytesIO(content)
    response = FileResponse(content, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

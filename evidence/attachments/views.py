"""Evidence files (佐证材料) in the browser: the only way a stored file is read back
(download, scoped: 404 outside the user's scope, a secretary only their own), and its
removal by the uploader (rules in `evidence.attachments.services`)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from evidence.attachments import services as evidence
from evidence.models import Attachment
from org.access import RoleRequiredMixin
from org.scope import Role


def home_of(attachment):
    """The page that shows the attachment: its appeal, or its leaf on the self-evaluation."""
    if attachment.appeal_id is not None:
        return reverse("appeal-detail", args=[attachment.appeal_id]) + "#evidence"
    if attachment.event_id is not None:
        return reverse("event-detail", args=[attachment.event_id]) + "#evidence"
    url = reverse("selfeval", args=[attachment.participant_id])
    return f"{url}#leaf-{attachment.leaf_id}" if attachment.leaf_id else url


def back_to(request, fallback):
    """`next` if it is a local URL of this site, otherwise `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class EvidenceDownloadView(LoginRequiredMixin, View):
    """The file as a download under its original name, with the type detected on upload;
    never rendered in the browser, never cached."""

    def get(self, request, pk):
        attachment = get_object_or_404(Attachment.objects.for_user(request.user), pk=pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class EvidenceRemoveView(RoleRequiredMixin, View):
    """The uploader (a secretary) takes a file back while its page is still editable."""

    roles = (Role.SECRETARY,)
    http_method_names = ["post"]

    def post(self, request, pk):
        attachment = get_object_or_404(
            Attachment.objects.for_user(request.user).select_related("participant"), pk=pk
        )
        fallback = home_of(attachment)
        try:
            evidence.remove(actor=request.user, attachment=attachment)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("已删除佐证材料“%(name)s”。") % {"name": attachment.original_name}
            )
        return redirect(back_to(request, fallback))

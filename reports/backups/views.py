"""立即备份 on the 后台任务 page (`reports.backups.services`). The backup's files are
never offered here: its job page names them and the server directory they are in."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views import View

from reports.backups import services


class BackupStartView(LoginRequiredMixin, View):
    """Start a backup and follow it on its job page; without whole-system scope the
    route does not exist (404)."""

    def post(self, request):
        try:
            job = services.start_backup(request.user)
        except PermissionDenied as exc:
            raise Http404 from exc
        return redirect("job-detail", pk=job.pk)

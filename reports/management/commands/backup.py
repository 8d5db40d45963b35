"""`python manage.py backup` — back up the database and the uploaded files into
BACKUP_DIR now, in this process (docs/operations.md §9), recorded as a backup job like
the nightly one; prints the paths written. For cron outside the product and for taking a
backup before an upgrade."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.backups import services
from reports.models import JobState


class Command(BaseCommand):
    help = "立即备份数据库和上传文件到 BACKUP_DIR，并按 BACKUP_KEEP 删除较早的备份。"

    def handle(self, *args, **options):
        job = services.back_up_now()
        if job.state != JobState.DONE:
            raise CommandError(job.message)
        directory = Path(job.result["directory"])
        for file in job.result["files"]:
            self.stdout.write(str(directory / file["name"]))

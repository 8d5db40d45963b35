"""`python manage.py job_queues [GROUP]` — the Celery queues jobs go to under
`JOB_QUEUES`, comma-separated for `celery -A config worker -Q …` (docs/performance.md
"Scale-out"); with GROUP (recompute, imports, reports, slips, maintenance) that group's
only. Under the default layout (one queue) it prints Celery's default queue."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports.jobs import queues


class Command(BaseCommand):
    help = "列出后台任务所用的 Celery 队列（供 celery worker -Q 使用）。"

    def add_arguments(self, parser):
        parser.add_argument("group", nargs="?", choices=sorted(set(queues.GROUPS.values())))

    def handle(self, *args, group=None, **options):
        try:
            names = queues.job_queues(group)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(",".join(names) or settings.CELERY_TASK_DEFAULT_QUEUE)

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from core.panels import register_panel
        from core.todo import register_todo_source
        from reports.todo import job_todos

        register_todo_source(job_todos, order=40)

        register_panel("cycle-actions", "reports/_cycle_actions.html", order=30)
        register_panel("cycle-actions", "reports/bulletins/_cycle_link.html", order=35)
        register_panel("cycle-actions", "reports/dashboard/_cycle_link.html", order=5)

        from reports import jobs, services
        from reports.bulletins.services import run_bulletin_job
        from reports.models import JobKind
        from reports.paybands.documents import run_pay_bands_job

        jobs.register_runner(JobKind.BULLETIN, run_bulletin_job)
        jobs.register_runner(JobKind.RESULTS_EXPORT, services.run_results_export)
        jobs.register_runner(JobKind.PAY_BANDS, run_pay_bands_job)

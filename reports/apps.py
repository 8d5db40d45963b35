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

        from assessment.services import on_inputs_changed
        from reports import services
        from reports.backups import services as backups
        from reports.bulletins.services import run_bulletin_job
        from reports.jobs import imports, recompute, slips
        from reports.jobs.running import register_work
        from reports.models import JobKind
        from reports.paybands.documents import run_pay_bands_job
        from surveys.ballots.services import on_batch_issued

        imports.register()
        recompute.register()
        slips.register()
        backups.register()
        register_work(JobKind.BULLETIN, run_bulletin_job)
        register_work(JobKind.RESULTS_EXPORT, services.run_results_export)
        register_work(JobKind.PAY_BANDS, run_pay_bands_job)
        on_inputs_changed(recompute.schedule_recompute)
        on_batch_issued(slips.start_slips)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evidence"
    verbose_name = _("过程材料")

    def ready(self):
        # Registration by import: the events' and metric values' scoring input sources,
        # the counted metrics of 民情日记/网格事件, the rectification carry-over on opening.
        from assessment.services import register_transition_note
        from core.panels import register_panel
        from core.todo import register_todo_source
        from evidence import notices
        from evidence.attachments import services as attachments
        from evidence.events import inputs  # noqa: F401
        from evidence.events import services as events
        from evidence.records import counters  # noqa: F401
        from evidence.records import inputs as record_inputs  # noqa: F401
        from evidence.rectification import services  # noqa: F401
        from evidence.todo import evidence_todos
        from org.notifications.reminders import register_reminder_source
        from scoring.evidence_files import register_file_store

        register_file_store(attachments)
        register_reminder_source(notices.summons_reminders)
        register_transition_note(events.pending_note)
        register_todo_source(evidence_todos, order=20)
        register_panel("cycle-actions", "evidence/_cycle_actions.html", order=20)
        register_panel("participant-results", "evidence/events/_participant_events.html")
        for order, area in enumerate(("events", "records", "keytasks", "rectification")):
            register_panel("cycle-evidence-links", f"evidence/{area}/_actions.html", order=order)

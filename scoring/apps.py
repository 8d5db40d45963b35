from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"

    def ready(self):
        from assessment.services import (
            on_transition,
            register_publish_check,
            register_result_check,
            register_transition_note,
        )
        from core.panels import register_panel
        from core.todo import register_todo_source
        from org.notifications.reminders import register_reminder_source
        from scoring import counters, guards, notices  # noqa: F401 (counters register)
        from scoring.appeals.services import open_appeal_problems
        from scoring.todo import scoring_todos

        register_result_check(guards.results_current)
        register_result_check(guards.required_scores_present)
        register_publish_check(open_appeal_problems)
        on_transition(guards.lock_published_results)
        on_transition(notices.cycle_moved)
        register_reminder_source(notices.self_evaluation_reminders)
        register_transition_note(guards.self_evaluation_note)
        register_todo_source(scoring_todos, order=10)
        register_panel("cycle-actions", "scoring/_cycle_actions.html", order=10)
        register_panel("cycle-locked", "scoring/appeals/_review_procedure.html")

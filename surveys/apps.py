from django.apps import AppConfig


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"

    def ready(self):
        # Registers the survey counts as a scoring input source (SPEC §3.4), the small
        # samples (fewer than K counted ballots) for the result pages, the 公示 check
        # that refuses them, and the release of a cycle's pooled ballots when it stops
        # taking them.
        from assessment.services import (
            on_transition,
            register_result_check,
            register_transition_note,
        )
        from core.panels import register_panel
        from core.todo import register_todo_source
        from scoring.inputs import register_sample_source
        from surveys import inputs  # noqa: F401
        from surveys.ballots.pool import release_closed_cycle
        from surveys.tallies.selectors import (
            paper_count_note,
            small_sample_problems,
            small_samples,
        )
        from surveys.todo import survey_todos

        register_sample_source(small_samples)
        register_result_check(small_sample_problems)
        register_transition_note(paper_count_note)
        register_todo_source(survey_todos, order=30)
        on_transition(release_closed_cycle)

        register_panel("cycle-evidence-links", "surveys/_actions.html", order=200)

"""Events as scoring inputs (SPEC §3.1 deduction leaves, §3.3 bonus and veto).

Every event of the cycle goes to the engine with its verified/exempt flags and date, in
one query: the engine itself keeps only verified, non-exempt events dated within the
cut-off (`scoring.engine.compute._counted`), so provisional quarterly scores (§3.6) use
the same rows.
"""

from evidence.models import Event, EventStatus
from scoring import engine
from scoring.inputs import InputContribution, register_input_source


@register_input_source
def event_inputs(cycle, cutoff, only=None):
    rows = Event.objects.filter(participant__cycle=cycle)
    if only is not None:
        rows = Event.objects.filter(participant_id__in=only.participants)
    rows = rows.values_list(
        "participant_id", "event_type__code", "status", "exempt", "occurred_on", "description"
    )
    return InputContribution(
        events=tuple(
            engine.Event(
                participant_id=str(participant_id),
                type_code=type_code,
                verified=status == EventStatus.VERIFIED,
                exempt=exempt,
                on=occurred_on,
                description=description,
            )
            for participant_id, type_code, status, exempt, occurred_on, description in rows
        )
    )

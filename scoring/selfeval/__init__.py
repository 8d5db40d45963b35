"""自我检评 (SPEC §1, §3.2): the secretary's own value for every leaf of the cycle's frozen
template, kept as a draft, then submitted and locked until an assessor returns it with a
reason.

- Values are 自评 score entries written through `scoring.services.enter_score`, which
  holds the value rules (0 ≤ v ≤ points, a level for an anchored leaf, two decimals) and
  the window (自评 only while the cycle is 进行中).
- S counts every leaf, automatic ones too (SPEC §3.2): the secretary scores them all.
  A missing leaf counts 0 and is flagged "自评不完整", so an evaluation with gaps may be
  submitted; the page lists the gaps before and after.
- Saving is all or nothing (SPEC §7): every problem of every leaf is collected and
  reported at once, and if there is one, nothing is saved.
- Returned by the county's assessors and admins, or by the town assessors of the
  participant's town (SPEC §1), with a reason, while the cycle is 进行中.

The package has two modules: `services` (the writes — save, submit, return — and the
rules they share with the page) and `sheet` (reading the sheet, its editing state and
history for the page). The public names are re-exported here, so callers keep
`from scoring.selfeval import …`.
"""

from scoring.selfeval.services import (
    SelfEvaluationChanged,
    SelfEvaluationItem,
    is_own,
    leaf_label,
    lock_for_editing,
    may_return,
    parse_answer,
    return_self_evaluation,
    save_self_evaluation,
    submit_self_evaluation,
)
from scoring.selfeval.sheet import (
    CENT,
    DimensionBlock,
    LeafLine,
    Sheet,
    critical_incidents,
    editing_state,
    evaluation_of,
    self_evaluation_sheet,
    status_changes,
)

__all__ = [
    "CENT",
    "DimensionBlock",
    "LeafLine",
    "SelfEvaluationChanged",
    "SelfEvaluationItem",
    "Sheet",
    "critical_incidents",
    "editing_state",
    "evaluation_of",
    "is_own",
    "leaf_label",
    "lock_for_editing",
    "may_return",
    "parse_answer",
    "return_self_evaluation",
    "save_self_evaluation",
    "self_evaluation_sheet",
    "status_changes",
    "submit_self_evaluation",
]

"""Reading results for the result pages (issue 5): the ranking, one participant's sheet
and score card, and the quota and pay-tier preview.

Every function reads with a fixed number of queries whatever the number of participants
(DESIGN §7), and starts from `Result.objects.for_user`, so a secretary sees their own
results only once the cycle is 公示中 or later. The score card and the preview re-derive
each step of SPEC §3.2–§3.5 from the stored numbers so that a reader can check it by
hand; the engine stays the only place that decides.

The package holds one module per page — `ranking`, `participant` (the sheet and the
radar), `scorecard` (计分卡) and `quota_preview` — and `common`, what they share. The
public names are re-exported here, so callers import them from `scoring.results.selectors`.
"""

from scoring.results.selectors.common import (
    TIERS,
    decorate,
    describe_vetoes,
    event_type_names,
    grade_order,
    number,
    percent,
    split_warning,
    tier_coefficients,
    visible_results,
)
from scoring.results.selectors.explain import RankNote, rank_notes
from scoring.results.selectors.participant import (
    DimensionBlock,
    LeafLine,
    Sheet,
    county_average,
    participant_sheet,
    radar_data,
    weighted,
)
from scoring.results.selectors.quota_preview import (
    GROUP_PAGE_SIZES,
    LISTED,
    GroupPreview,
    Preview,
    TiedGroup,
    group_preview,
    preview,
)
from scoring.results.selectors.ranking import (
    FLAG_FILTERS,
    FLAG_OVERRIDDEN,
    NO_FILTERS,
    QUOTA_WARNING,
    SORT_FIELDS,
    RankingFilters,
    RankingSummary,
    WarningSummary,
    decorate_rows,
    ranking_rows,
    ranking_summary,
    town_choices,
    warning_summary,
    warnings_per_kind,
)
from scoring.results.selectors.scorecard import (
    Step,
    group_of,
    score_card,
    threshold_grade,
    tied_count,
    tier_for,
    waterfall_data,
)

__all__ = [
    "DimensionBlock",
    "FLAG_FILTERS",
    "FLAG_OVERRIDDEN",
    "GROUP_PAGE_SIZES",
    "GroupPreview",
    "LISTED",
    "LeafLine",
    "NO_FILTERS",
    "Preview",
    "QUOTA_WARNING",
    "RankingFilters",
    "RankingSummary",
    "SORT_FIELDS",
    "Sheet",
    "Step",
    "TIERS",
    "TiedGroup",
    "WarningSummary",
    "county_average",
    "decorate",
    "decorate_rows",
    "describe_vetoes",
    "event_type_names",
    "grade_order",
    "group_of",
    "group_preview",
    "number",
    "participant_sheet",
    "percent",
    "preview",
    "radar_data",
    "ranking_rows",
    "ranking_summary",
    "score_card",
    "RankNote",
    "rank_notes",
    "split_warning",
    "threshold_grade",
    "tied_count",
    "tier_coefficients",
    "tier_for",
    "town_choices",
    "visible_results",
    "warning_summary",
    "warnings_per_kind",
    "waterfall_data",
    "weighted",
]

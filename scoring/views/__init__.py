"""Browser pages of the scoring app, one module per area: self-evaluation (selfeval),
the assessors' score grid (grid), results (results). Appeals are
assessment's (assessment/views/appeals.py)."""

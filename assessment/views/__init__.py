"""Browser views of the assessment app, one module per area."""

def register(router):
    """Add this area's API routes to the project's router."""

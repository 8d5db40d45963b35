from surveys import ballot_api, tally_api


def register(router):
    """Add the survey API routes to the project's router."""
    ballot_api.register(router)
    tally_api.register(router)

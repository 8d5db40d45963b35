from surveys.ballots import api as ballot_api
from surveys.tallies import api as tally_api


def register(router):
    """Add the survey API routes to the project's router."""
    ballot_api.register(router)
    tally_api.register(router)

"""Democratic appraisal tests. `issue` makes a batch the way the page does, runs its slips
job as the commit would, and hands the test the clear tokens, which the product itself
never keeps (they exist only in the job and in the PDF)."""

from unittest import mock

from django.test import TestCase

from surveys.ballots import services as ballots
from surveys.ballots import tokens

BASE_URL = "http://testserver"


def issue(cycle, community, actor, *, size=3, category="居民代表"):
    """Issue a batch and make its slips; return (batch, pdf bytes, the tokens' typed
    codes)."""
    made = []

    def recorded():
        token = real_new_token()
        made.append(token)
        return token

    real_new_token = tokens.new_token
    with (
        mock.patch.object(tokens, "new_token", recorded),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        batch = ballots.issue_batch(
            actor=actor,
            cycle=cycle,
            community=community,
            category=cycle.frozen_template.survey_categories.get(name=category),
            size=size,
            base_url=BASE_URL,
        )
    batch.refresh_from_db()
    with batch.slips_file.open("rb") as stored:
        pdf = stored.read()
    return batch, pdf, [tokens.typed_code(token) for token in made]

"""The recompute job on a real Celery worker and the real Redis broker (SPEC §5):
a score saved in the browser's transaction is computed by the worker after commit."""

from django.db import transaction

from assessment import services as cycles
from assessment.models import Cycle
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from scoring.models import LeafResult, Result, Source
from scoring.services import current_results, enter_score
from tests.factories import complete_scoring
from tests.workers import NEEDS_WORKER, wait_until

pytestmark = NEEDS_WORKER


def test_a_saved_score_is_recomputed_by_the_worker(world, worker):
    made = install_starter_templates(actor=None, county=world.county_a)
    template = next(t for t in made if t.name == SEED_TEMPLATE["name"])
    cycle = cycles.create_cycle(
        actor=None, county=world.county_a, name="2026年度考核", year=2026, template=template
    )
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    leaf = cycle.frozen_template.nodes.filter(method="rating").order_by("sort_key").first()
    leaf.bars_levels.all().delete()

    with transaction.atomic():
        enter_score(
            actor=world.secretary_a1, participant=me, leaf=leaf, source=Source.SELF, value="2"
        )
    target = Cycle.objects.get(pk=cycle.pk).inputs_version

    def recomputed():
        version = current_results(cycle)
        return version is not None and version.inputs_version == target

    assert wait_until(recomputed), "the worker did not swap in the new results"
    row = Result.objects.get(version=current_results(cycle), participant=me)
    assert LeafResult.objects.get(sheet=row.sheet_id, leaf=leaf).self_value == 2

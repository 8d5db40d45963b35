"""Every kind of evidence reaches the engine (DESIGN §3, issue 6): the input sources and
counted metrics are registered when the project starts, not only once some module that
happens to import them has been loaded."""

import json
import subprocess
import sys

from django.conf import settings

PROBE = """
import json
import django
django.setup()
from scoring.counters import COUNTERS
from scoring.inputs import INPUT_SOURCES
print(json.dumps(sorted(f"{s.__module__}.{s.__name__}" for s in INPUT_SOURCES)))
print(json.dumps(sorted(COUNTERS)))
"""


def test_a_fresh_process_registers_every_input_source_and_counter():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    sources, counters = json.loads(out[-2]), json.loads(out[-1])
    assert sources == [
        "evidence.events.inputs.event_inputs",
        "evidence.records.inputs.metric_values",
        "scoring.counters.counted_metrics",
        "surveys.inputs.survey_input",
    ]
    for key in ("cert_rate", "conflicts_resolved", "grid_events_resolved", "diary_entries"):
        assert key in counters

"""One run of the scale benchmark, in order: build the world, compute once, then the
recompute and its floor, the recompute's peak memory in a child process, one score
changed, the export, the pages, HTTP under load, and last the import (it adds a whole
county, so everything else is measured before it)."""

import os
import tempfile

from django.db import connection

from bench.data import build
from bench.data.shape import SCALES
from bench.measure import compute, excel, load, machine, pages
from scoring.services import compute_cycle


def _ratio(value, floor):
    return value / floor if floor else None


def run(scale_name, options, child_env, say):
    """(scale, headline figures, details, machine) of one run; `options` are the HTTP
    load's (`bench.harness.load_options`), `child_env` the environment of the processes
    it starts, `say` prints progress."""
    scale = SCALES[scale_name]
    users = options.pop("users")
    options = load.Options(**options)
    host = machine.describe()
    say(f"building {scale.name}: {scale.participants} participants in {scale.counties} counties")
    world = build(scale, users)
    say(f"built in {world.seconds:.0f} s: {dict(world.rows)}")
    county = world.counties[0]
    cycle_ids = [c.cycle.pk for c in world.counties]
    for cycle_id in cycle_ids:
        compute_cycle(cycle_id)
    # The result tables were empty when the build analysed the database; a deployed
    # PostgreSQL's autovacuum would have caught up by the time anyone reads them (the
    # machine's may be off, as here): statistics as in production, or the planner
    # loops over 3,000 results it expects 4 of.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figures, details = {}, {"build_s": world.seconds, "rows": dict(world.rows)}

    say("recompute")
    figures["compute_s"], details["compute_samples"] = compute.full_recompute(cycle_ids)
    figures["compute_floor_s"], details["compute_floor_samples"] = compute.floor(cycle_ids)
    say("recompute in a process of its own (peak memory)")
    figures["peak_rss_mb"], details["compute_child_s"] = compute.peak_rss(county.cycle, child_env)
    say("one score changed")
    figures["incremental_s"], details["incremental_samples"] = compute.incremental(county)

    with tempfile.TemporaryDirectory(prefix="sqsj-bench-") as folder:
        say("export")
        exported = excel.measure_export(county.cycle, folder)
        figures["export_s"] = exported.pop("export_s")
        figures["export_floor_s"] = exported.pop("export_floor_s")
        details["export"] = exported
        say("pages")
        found = pages.measure_pages(county.admin, county.cycle)
        details["pages"] = found
        figures["page_ms_max"] = max(page["ms"] for page in found.values())
        figures["queries_per_page_max"] = max(page["queries"] for page in found.values())
        say(f"HTTP: {users} users for {options.seconds:.0f} s")
        http = load.run(world, child_env, options, folder)
        for key in ("http_p50_ms", "http_p95_ms", "http_rps", "http_error_rate"):
            figures[key] = http.pop(key)
        details["http"] = http
        say("import (a whole cycle's workbook)")
        imported = excel.measure_import(county.cycle, folder)
        figures["import_s"] = imported.pop("import_s")
        figures["import_floor_s"] = imported.pop("import_floor_s")
        details["import"] = imported

    figures["compute_ratio"] = _ratio(figures["compute_s"], figures["compute_floor_s"])
    figures["import_ratio"] = _ratio(figures["import_s"], figures["import_floor_s"])
    figures["export_ratio"] = _ratio(figures["export_s"], figures["export_floor_s"])
    host["load_average_after"] = os.getloadavg()
    return scale, figures, details, host

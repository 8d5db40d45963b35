"""The scale benchmark's measurements, each beside its floor: the least work that could
produce the same output on this machine (an SQL aggregate and a COPY for a recompute,
reading every cell for an import, writing as many cells for an export). The ratio
product / floor is what improvements move; absolute seconds depend on the machine."""

import statistics
import time

# Repeat a measurement (median of 3) only while one run takes less than this.
CHEAP_SECONDS = 20


def timed(action):
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(action, repeat=3, cheap=CHEAP_SECONDS):
    """Median seconds of `action` over `repeat` runs; a single run when the first takes
    longer than `cheap` seconds. Returns (median, samples)."""
    samples = [timed(action)]
    while len(samples) < repeat and samples[0] < cheap:
        samples.append(timed(action))
    return statistics.median(samples), samples

"""Settings of every process the scale benchmark starts (`bench/harness.py`): the
production settings, served over plain HTTP on the loopback.

What differs from a deployment, and why:
- no HTTPS redirect or secure cookies: the load client talks plain HTTP to 127.0.0.1;
- static files are found in place (no collectstatic run, which would write into the
  project and take longer than the tiny run itself); pages are measured, not assets;
- `EXCEL_LIMITS` raised to Excel's own limits, so the import benchmark's workbook (a
  whole cycle, or at city scale as many towns as fit in Excel's 1,048,576 rows) imports
  as one file; production refuses more than 300,000 rows a sheet ("a city imports county
  by county"), which would cut the import figure at county size;
- `testserver` allowed, for the page timings taken with Django's test client;
- outermost, `bench.cpu.RequestCpuMiddleware`: with `BENCH_CPU_LOG` set (the HTTP load
  sets it), each request's CPU is logged per route; otherwise it does nothing.
Celery, the cache and the database come from the environment as in production; the
harness points the web and worker processes at Redis databases of its own and leaves the
broker unset in its own process, where jobs then run in-process (as in the demo).
"""

from config.settings import *  # noqa: F403
from config.settings import ALLOWED_HOSTS, MIDDLEWARE, STORAGES

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Nothing is collected: without this WhiteNoise warns about the missing directory.
STATIC_ROOT = None

GIB = 1024 * 1024 * 1024
EXCEL_LIMITS = {
    "max_bytes": GIB,
    "max_uncompressed": 16 * GIB,
    "max_rows": 1_048_576,
}

MIDDLEWARE = ["bench.cpu.RequestCpuMiddleware", *MIDDLEWARE]

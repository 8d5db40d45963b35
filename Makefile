# The two commands: `make run` (demo on SQLite, tasks in-process) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Both cores, a test module per worker (module-scoped setups are built once): every
# pytest-xdist worker has its own database and Redis databases.
PYTEST_ARGS ?= -n auto --dist loadfile --durations=30

.PHONY: bench-scaleout run test lint format messages bench fonts reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Chinese font for PDF bulletins: installed when missing and this machine allows it.
fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "安装中文字体 fonts-noto-cjk …"; \
	    (apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1)) || \
	    echo "未能安装 fonts-noto-cjk：PDF 中的中文可能无法显示。"; \
	  else echo "提示：未找到中文字体 fonts-noto-cjk，PDF 中的中文可能无法显示。"; fi; }

run: $(VENV)/.installed fonts
	DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=true $(BIN)/python manage.py seed_demo
	@echo "打开 http://127.0.0.1:$(PORT)/ （Ctrl+C 停止）"
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/pytest $(PYTEST_ARGS)

messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=static
	$(BIN)/python manage.py compilemessages -l en -l zh_Hans --ignore=.venv

# `make bench SCALE=tiny|county|city|province`: the scale benchmark, on PostgreSQL in a
# throw-away database named sqsj_bench… (docs/performance.md); PostgreSQL and Redis are
# started first if they are down. Without SCALE: the earlier benchmarks (bench/run.py).
SCALE ?=
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sqsj_bench

bench: $(VENV)/.installed-dev
ifeq ($(strip $(SCALE)),)
	$(BIN)/python bench/run.py
else
	bench/services.sh
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" $(BIN)/python -m bench.harness $(SCALE)
endif

# `make bench-scaleout SCALE=province WORKERS=1,2,3,4 LAYOUTS=kind,kind:4`: recompute
# throughput against the number of Celery workers, per queue layout (bench/scaleout.py).
WORKERS ?= 1,2,3,4
LAYOUTS ?= kind,kind:4

bench-scaleout: $(VENV)/.installed-dev
	bench/services.sh
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)_scaleout}" $(BIN)/python -m bench.scaleout $(or $(SCALE),province) --workers $(WORKERS) --layouts $(LAYOUTS)

# `make reliability`: the checks listed in docs/reliability.md alone, on PostgreSQL and
# Redis with a real Celery worker where a test asks for one, each test's time listed
# (the figures there). Also part of `make test`.
RELIABILITY_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sqsj
RELIABILITY_TESTS := tests/platform/test_scope_matrix.py tests/platform/test_api.py \
  tests/platform/test_api_schema.py tests/platform/test_api_fuzz.py \
  tests/platform/test_concurrency.py tests/platform/test_auth.py \
  tests/platform/test_redis_outage.py tests/platform/test_database_outage.py \
  tests/platform/test_health.py tests/platform/test_deploy_check.py \
  tests/platform/test_security_log.py tests/surveys/test_ballot_concurrency.py \
  tests/surveys/test_ballot_release.py tests/evidence/test_upload_content.py \
  tests/reports/test_hostile_files.py tests/reports/test_killed_worker.py \
  tests/reports/test_redis_restart.py tests/reports/test_job_sweeper.py \
  tests/reports/test_backup_cycle.py tests/reports/test_restore.py \
  tests/assessment/test_cycles.py tests/assessment/test_cycle_api.py \
  tests/platform/test_admin_readonly.py tests/platform/test_row_locks.py \
  tests/org/test_account_rules.py tests/surveys/test_ballots.py \
  tests/reports/test_import_partial.py tests/scoring/test_score_entry.py \
  tests/evidence/test_evidence.py tests/evidence/test_query_numbers.py

reliability: $(VENV)/.installed-dev
	bench/services.sh
	DATABASE_URL="$${DATABASE_URL:-$(RELIABILITY_DATABASE_URL)}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}" \
	$(BIN)/pytest -n auto --dist loadfile --durations=0 $(RELIABILITY_TESTS)

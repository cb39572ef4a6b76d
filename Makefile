# The two commands: `make dev` and `make test`. Both set up everything they need.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PTH := $(VENV)/lib/python3.12/site-packages/launchpad.pth
# Python 3.12 (Vercel's runtime): on PATH, or pyenv's (.python-version pins it for `python` too).
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12; do command -v $$p >/dev/null 2>&1 && { echo $$p; exit; }; done; echo python3)

.PHONY: dev test lint format migrate seed openapi clean vercel-build vercel-dev

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 12), f"need Python 3.12, venv has {sys.version}"'
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# The repo root on the venv's sys.path (lib/, devkit/, scripts/, tests/ import as packages): no script edits sys.path.
$(PTH): $(STAMP)
	@echo '$(CURDIR)' > $@

dev: $(PTH)
	$(PY) scripts/dev.py

# The suite runs direct, then with every function behind a transaction-mode PgBouncer as Neon runs
# it (>= 1.21, max_prepared_statements = 1000; DB_POOLER=prepared), then the pooler, round-trip, schema-change,
# concurrency and fault tests behind an older pooler (max_prepared_statements = 0; DB_POOLER=legacy).
# PgBouncer: an installed one if >= 1.21, else built once from Debian trixie's source into
# .data/pgbouncer/ (devkit/pgbouncer_build.py); where it cannot be, its tests skip (fail in CI).
LEGACY_POOLER_TESTS := tests/system/test_pooler.py tests/system/test_round_trips.py tests/system/test_schema_change.py \
	tests/system/test_concurrency.py tests/system/test_concurrency_limits.py $(wildcard tests/system/test_faults_*.py)
test: $(PTH)
	@test -x node_modules/.bin/vercel || npm ci --no-audit --no-fund
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) -m pytest --via-pgbouncer $(PYTEST_ARGS)
	$(PY) -m pytest --via-pgbouncer --pgbouncer-mode legacy $(LEGACY_POOLER_TESTS) $(PYTEST_ARGS)

# ruff, then mypy --strict (mypy.ini) over everything that ships, deploys or serves locally.
lint: $(PTH)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy api lib scripts migrations devkit

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# `vercel build` by Vercel's own CLI (pinned in package.json) in a throwaway copy of the work tree,
# offline and with no Vercel login; then the output is checked: function sizes against the 225 MiB
# limit, bundled dependencies, excludeFiles, the built route table, one request through a trampoline.
vercel-build: $(PTH)
	@test -x node_modules/.bin/vercel || npm ci --no-audit --no-fund
	$(PY) scripts/bundle_report.py --build

# `vercel dev` (the pinned CLI) offline: database as for `make dev`, Vercel's REST API stubbed (no login),
# uv and Python 3.12 from the venv. Slower than `make dev`: each function builds on its first request.
vercel-dev: $(PTH)
	@test -x node_modules/.bin/vercel || npm ci --no-audit --no-fund
	$(PY) scripts/vercel_dev.py

migrate: $(PTH)
	$(PY) scripts/migrate.py

seed: $(PTH)
	$(PY) scripts/seed.py

# lib/web/openapi.json, the document api/openapi.py serves, from every route table: rerun after changing a
# route row or a model (tests/functions/test_openapi.py fails while the file differs from the code's document).
openapi: $(PTH)
	$(PY) scripts/openapi_document.py

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache

# `make bench` (BENCHMARKS.md): its own venv (bench/.venv: requirements.txt plus bench/requirements.txt,
# rebuilt from scratch when either changes, so no dev-only package skews the cold starts), its own embedded
# PostgreSQL (.data/bench-pg), data generated once, every measurement, then BENCHMARKS.md. bench/scaling.py
# also generates the data at 1/100 and 1/10 once, into databases of their own on the same server.
# `make bench BENCH_QUICK=1` runs on 1/20 of the data (bench/results/BENCHMARKS-quick.md).
BENCH_VENV := bench/.venv
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat requirements.txt bench/requirements.txt | cksum | cut -d' ' -f1)

$(BENCH_STAMP): requirements.txt bench/requirements.txt
	rm -rf $(BENCH_VENV) && $(PYTHON312) -m venv $(BENCH_VENV)
	@$(BENCH_VENV)/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12), f"need Python 3.12, bench venv has {sys.version}"'
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@echo '$(CURDIR)' > $(BENCH_VENV)/lib/python3.12/site-packages/launchpad.pth
	@rm -f $(BENCH_VENV)/.installed-* && touch $@

.PHONY: bench
bench: $(BENCH_STAMP)
	BENCH_QUICK=$(BENCH_QUICK) PYTHONPATH=$(CURDIR) $(BENCH_VENV)/bin/python -m bench.run $(BENCH_ARGS)

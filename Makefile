# Two commands matter: `make run` (the whole product on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run prerequisites test lint check venv clean bench soak

# The whole product in the foreground on embedded defaults (SQLite, embedded Redis), or on the
# servers DATABASE_URL / REDIS_URL name: migrate, seed the demo, then web, worker, beat and the
# Cdiscount sandbox, each line prefixed with its process. Ctrl-C stops them all. SELLERCLOUD_DEMO=1
# lets it run on the public development keys (settings refuse to start without real ones otherwise);
# run_all passes it on to every process it starts.
run: prerequisites venv
	SELLERCLOUD_DEMO=1 $(PY) manage.py run_all

# Checked before the (long) install, so a missing system package is named at once.
prerequisites:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install python3.11 (Debian: apt-get install -y python3.11 python3.11-venv)"; exit 1; }
	@$(PYTHON) -c "import ctypes.util as u, sys; sys.exit(0 if u.find_library('pango-1.0') and u.find_library('pangoft2-1.0') else 1)" \
	  || { echo "WeasyPrint needs Pango: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 (macOS: brew install pango)"; exit 1; }

venv: $(VENV)/.installed

# The shipped invoice plugin is a distribution of its own, found through its entry point.
PLUGINS := $(wildcard plugins/*/pyproject.toml)
$(VENV)/.installed: requirements.txt $(PLUGINS) $(wildcard plugins/*/*/*.py plugins/*/*/templates/*)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install python3.11 (Debian: apt-get install -y python3.11 python3.11-venv)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	for plugin in $(dir $(PLUGINS)); do $(VENV)/bin/pip install --quiet --no-deps ./$$plugin || exit 1; done
	touch $@

# The whole suite: SQLite + embedded Redis when nothing is set, DATABASE_URL / REDIS_URL otherwise.
test: venv
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# SPEC S11 figures on PostgreSQL (each script creates and seeds its own bench database once, then
# reuses it), merged into bench/results.json. BENCH_SCALE=small for a quick run; full by default.
BENCH_SCALE ?= full
BENCH_SCRIPTS := $(filter-out bench/common.py bench/__init__.py bench/soak%,$(sort $(wildcard bench/*.py)))
bench: venv
	@for script in $(BENCH_SCRIPTS); do \
	  echo "== $$script (BENCH_SCALE=$(BENCH_SCALE))"; \
	  BENCH_SCALE=$(BENCH_SCALE) $(PY) $$script || exit 1; \
	done

# SPEC S12's full-size chaos (not in CI): 20,000 sandbox orders, faults, four real workers (one
# killed with SIGKILL every few minutes) and beat, for SOAK_SECONDS (900), then a bounded settle
# and the counts that must be 0 (bench/soak.py). SOAK_SECONDS=120 SOAK_ORDERS=2000 for a short run.
soak: venv
	$(PY) bench/soak.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	SELLERCLOUD_DEMO=1 $(VENV)/bin/mypy

check: venv
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

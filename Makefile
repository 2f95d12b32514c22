# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := interop/node_modules/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck bench bench-http load fault-pg screenshots chromium clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The reference JavaScript implementation, for the interop tests (pinned by package-lock.json).
$(NODE_STAMP): interop/package.json interop/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the interop tests need Node.js 18+ (apt-get install nodejs npm)" >&2; exit 1; }
	cd interop && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's Chromium, for the browser tests (Playwright drives it; no browser is downloaded).
# Installed with apt-get when missing and we may; otherwise the browser tests skip (CI fails).
chromium:
	@if [ -z "$$PASSPORT_VC_CHROMIUM" ] && [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's Chromium for the browser tests (apt-get install chromium)"; \
	    apt-get install -y -q chromium >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
	      || echo "Could not install chromium: the browser tests will skip" >&2; \
	  else \
	    echo "No /usr/bin/chromium: the browser tests will skip (as root: apt-get install chromium)" >&2; \
	  fi; \
	fi

# Starts the service on http://127.0.0.1:8000 with an embedded SQLite database in ./var and
# demo data; it prints the URLs, the admin token and the demo makerspace's API key.
run: $(STAMP)
	$(BIN)/passport-vc serve --demo --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

test: $(STAMP) $(NODE_STAMP) chromium
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',5432)))" 2>/dev/null; then \
	  export PASSPORT_VC_TEST_POSTGRES_URL="$${PASSPORT_VC_TEST_POSTGRES_URL:-$(PG_URL)}"; \
	  echo "PostgreSQL answers on 127.0.0.1:5432: storage tests run against it too."; \
	fi; \
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

bench: $(STAMP)
	$(BIN)/python bench/bench_sign_verify.py

# Issuance over HTTP on PostgreSQL (127.0.0.1:5432) and SQLite; takes a few minutes.
bench-http: $(STAMP)
	$(BIN)/python bench/bench_http.py --backend both

# Mixed load (issue, verify, status reads, revocations, presentations, passports) for 60 s on
# PostgreSQL with 2 workers, then an audit that every acknowledged write is stored and served.
load: $(STAMP)
	$(BIN)/python bench/load_mix.py

# Restarts the local PostgreSQL (pg_ctlcluster) in the middle of a load: 503 with Retry-After
# meanwhile, recovery without a restart of passport-vc, nothing acknowledged lost. Not run by
# `make test`: it takes the database away from anything else using it.
fault-pg: $(STAMP)
	$(BIN)/python bench/fault_pg_restart.py

# The README's screenshots, taken by the browser tests into docs/screenshots/.
screenshots: $(STAMP) chromium
	PASSPORT_VC_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -p no:cacheprovider -n 0 tests/browser

clean:
	rm -rf var $(VENV) interop/node_modules .pytest_cache .mypy_cache .ruff_cache

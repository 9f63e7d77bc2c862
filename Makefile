# 乡风 Xiangfeng — the newcomer's two commands:
#   make run    set up what is needed and serve the app on http://127.0.0.1:8501
#   make test   set up what the tests need (incl. Debian's chromium, fonts-noto-cjk and LibreOffice) and run them
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ADDRESS ?= 127.0.0.1
PORT   ?= 8501
# app processes: more than one runs them behind a local Caddy (tools/workers.py, docs/scaling.md)
WORKERS ?= 1

.PHONY: setup run lint test test-fast browser-deps office-deps caddy-deps odk-engine demo-data bench load clean
ODK_ENGINE := tools/odk-engine

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium and CJK fonts for the browser journeys (no browser download).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "installing chromium and fonts-noto-cjk from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Debian's LibreOffice for the bulletin's PDF and the export's spreadsheet test (headless:
# Writer and Calc only, no recommended extras).
office-deps:
	@if ! command -v soffice >/dev/null 2>&1 || ! dpkg -s libreoffice-writer libreoffice-calc >/dev/null 2>&1; then \
		echo "installing libreoffice-writer and libreoffice-calc from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			libreoffice-writer libreoffice-calc >/dev/null; \
	fi

# Debian's Caddy, the local reverse proxy in front of several app processes (make run WORKERS=N).
# tools/workers.py runs its own caddy with a generated Caddyfile; the Debian service is not used.
caddy-deps:
	@if ! command -v caddy >/dev/null 2>&1; then \
		echo "installing caddy from Debian"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq caddy >/dev/null; \
	fi

# ODK's own form engine (npm, exact versions of the lock file) for the XLSForm tests; without
# Node those tests are skipped with the reason.
$(ODK_ENGINE)/node_modules/.installed: $(ODK_ENGINE)/package.json $(ODK_ENGINE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(ODK_ENGINE) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the tests that run ODK's form engine will be skipped"; fi

odk-engine: $(ODK_ENGINE)/node_modules/.installed

run: setup
	$(PY) -m survey init >/dev/null
	$(PY) -c 'from geo.offline import install_static; install_static("static")'  # Leaflet, served locally
	@if [ "$$($(PY) -c 'import json,subprocess,sys; print(json.loads(subprocess.check_output([sys.executable,"-m","survey","stats","--json"]))["villages"])')" = 0 ]; then \
		echo "empty database: loading the demo county"; $(PY) -m survey demo; fi
	@# a demo database made before accounts existed gets its trial accounts (README lists them)
	@$(PY) -c 'from survey import auth, config, service; db = config.db_path(); \
		n = service.is_demo(db) and auth.ensure_demo_accounts(db); n and print(f"demo accounts added: {n}")'
	@# serve.py: the pages of app.py plus the app's own routes (the HttpOnly sign-in cookie);
	@# WORKERS=N > 1: N processes sharing the database, behind Caddy on ADDRESS:PORT
	@if [ "$(WORKERS)" -gt 1 ]; then \
		$(MAKE) --no-print-directory caddy-deps && \
		$(PY) tools/workers.py --workers $(WORKERS) --address $(ADDRESS) --port $(PORT); \
	else $(PY) -m streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT); fi

# ruff (pinned in requirements.txt) with the rules of ruff.toml: a finding fails the build
lint: setup
	$(VENV)/bin/ruff check --no-cache .

test: setup lint browser-deps office-deps caddy-deps odk-engine
	$(PY) -m pytest -q

# unit and page tests only (no browser)
test-fast: setup odk-engine
	$(PY) -m pytest -q -m "not browser"

# rebuild data/demo/ from its seed
demo-data: setup
	$(PY) -m survey.demo

bench: setup
	$(PY) -m bench

# how many tablets one server holds (bench/load.py): N tablets over Streamlit's own protocol,
# 1 process, then 2 behind Caddy
load: setup caddy-deps
	$(PY) -m bench load --n 5,10,20,40 --workers 1,2

clean:
	rm -rf $(VENV) var .pytest_cache $(ODK_ENGINE)/node_modules

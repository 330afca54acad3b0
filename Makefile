# Two promises from the README: `make demo` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_DB := $(CURDIR)/instance/demo.sqlite3
PG_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := examples.host_site.app:create_app

.PHONY: demo test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: $(BIN)/activate setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e '.[example,postgres]'
	touch $@

$(VENV)/.installed-test: $(BIN)/activate setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,example,postgres]'
	touch $@

demo: $(VENV)/.installed-demo
	mkdir -p instance
	NKO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/flask nko db upgrade
	NKO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/flask nko load-demo
	NKO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/flask demo-accounts
	NKO_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/flask run --host 127.0.0.1 --port 5000

# PostgreSQL joins the run when the local server answers; pytest exit 5 (no tests) fails the run.
test: $(VENV)/.installed-test browser-deps
	$(BIN)/ruff check .
	@if $(PY) -c "import psycopg,sys; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers: the suite runs on SQLite and PostgreSQL"; \
		NKO_TEST_DATABASE_URL=$${NKO_TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -n 2; \
	else \
		echo "PostgreSQL does not answer: SQLite only"; \
		$(BIN)/pytest -n 2; \
	fi

# SCALE=22000 by default, SCALE=national for 220,000 NKOs; PostgreSQL joins when it answers.
# Generated databases are cached in var/bench/ (and the nko_bench PostgreSQL database).
SCALE ?= 22000
$(VENV)/.installed-bench: $(BIN)/activate setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e '.[example,postgres,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || echo "wrk not found (apt-get install -y wrk): the HTTP part is skipped"
	$(PY) -m bench.run --scale $(SCALE)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance build dist *.egg-info

# Browser tests drive Debian's Chromium (never a browser that Playwright downloads) and the
# Nu HTML Checker from npm, run with the system Java. Without them those tests skip and say so.
VNU_VERSION := 26.9.27
VNU_JAR := .cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar
.PHONY: browser-deps
browser-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	[ -f $(VNU_JAR) ] || command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
		else \
			echo "browser-deps: missing$$missing; install as root: apt-get install -y$$missing"; \
		fi; \
	fi
	@if [ ! -f $(VNU_JAR) ] && command -v npm >/dev/null; then \
		npm install --no-audit --no-fund --ignore-scripts --prefix .cache/vnu vnu-jar@$(VNU_VERSION); \
	fi

# Screenshots for the README and docs/img/: the example site with the demo data on a temporary
# SQLite file, photographed by Debian's Chromium (make browser-deps installs it).
.PHONY: screenshots
screenshots: $(VENV)/.installed-test
	$(PY) scripts/screenshots.py

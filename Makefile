# hostnotify — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
DEMO_ENV := SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} DEBUG=1
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint deadcode messages serve clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## demo: install, migrate, load the Christmas 2005 incident, run the pipeline, serve on PORT with
## the periodic jobs (scheduled mailings, expiry, reminders, retries) run every 10 s beside it;
## with REDIS_URL set, a Celery worker (queues default, send, pdf) runs beside it too, from before
## load_demo on (which waits for its mailing to go out), logging to var/demo-worker.log
demo: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(DEMO_ENV) $(PY) manage.py create_database  # PostgreSQL: the database DATABASE_URL names, if missing
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	@pids=; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	if [ -n "$$REDIS_URL" ]; then \
	  log=$${HOSTNOTIFY_VAR_DIR:-var}/demo-worker.log; mkdir -p "$$(dirname "$$log")"; \
	  echo "REDIS_URL is set: a Celery worker runs beside the demo (log: $$log)"; \
	  $(DEMO_ENV) $(PY) -m celery -A hostnotify worker -Q default,send,pdf -l WARNING >"$$log" 2>&1 & pids=$$!; \
	fi; \
	$(DEMO_ENV) $(PY) manage.py load_demo || exit 1; \
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v 0 || exit 1; \
	$(DEMO_ENV) $(PY) manage.py run_periodic --loop 10 & pids="$$pids $$!"; \
	$(DEMO_ENV) $(PY) manage.py runserver --noreload 127.0.0.1:$(PORT)

## test: the whole suite (REQUIRE_SERVICES=1 makes PostgreSQL/Redis/Chromium tests fail instead of skip)
## (PostgreSQL and Redis at their local default addresses when they answer and DATABASE_URL/REDIS_URL are unset)
test: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	@eval "$$($(PY) tests/services.py)" && $(PY) -m pytest $(PYTEST_ARGS)

## bench: the benchmark table (PostgreSQL when DATABASE_URL is set)
bench: $(STAMP)  ## needs PostgreSQL: DATABASE_URL or postgres://postgres@127.0.0.1:5432/hostnotify_bench
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(PY) bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo  # import contracts in pyproject.toml: accounts <- campaigns, slices in pipeline order
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run  # DEBUG: no production secrets needed to lint

## deadcode: functions, classes, methods and imports nothing uses (vulture; names it cannot follow in pyproject.toml)
deadcode: $(STAMP)
	@! $(VENV)/bin/vulture | grep -E "unused (function|class|method|property|import)|unreachable|unsatisfiable|redundant"

messages: $(STAMP)
	$(PY) manage.py makemessages -l de -l fr -l it -l en -e html,txt,py,md --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/

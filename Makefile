# Outage Tracker. `make run` and `make test` are all a new machine needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint fmt migrate seed messages check-deploy clean

# Finds Python 3.12+ (pyenv's included) or says in one line what is missing.
$(PY):
	@py=""; \
	for c in python3.13 python3.12 python3.14 python3 \
	         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[234]*/bin/python 2>/dev/null | sort -rV); do \
	  p=$$(command -v $$c 2>/dev/null || true); [ -n "$$p" ] || continue; \
	  if $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then py=$$p; break; fi; \
	done; \
	if [ -z "$$py" ]; then echo "Python 3.12 or newer is required (install it, e.g. 'pyenv install 3.13'), then run make again." >&2; exit 1; fi; \
	echo "Creating $(VENV) with $$py"; \
	$$py -m venv $(VENV)

$(STAMP): $(PY) requirements.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@mkdir -p var
	@echo ""
	@echo "  Outage Tracker on http://127.0.0.1:8000/"
	@echo "    status page   http://127.0.0.1:8000/status/"
	@echo "    admin         http://127.0.0.1:8000/admin/"
	@echo "    health        http://127.0.0.1:8000/healthz"
	@echo "  Demo logins (demo only): agent / agent-demo-2026, manager / manager-demo-2026,"
	@echo "    admin / admin-demo-2026; customer contact: contact@demo.example / contact-demo-2026"
	@echo "  Staff need a second factor: the first admin login opens the enrolment page (any TOTP app)."
	@echo "  Sent e-mail is written to var/mail/. Ctrl-C stops web, worker and scheduler."
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# Benchmarks (tests/benchmarks): SQLite by default, PostgreSQL with DATABASE_URL. Load generator: wrk.
bench: $(STAMP)
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing wrk (the load generator) with apt-get..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) </dev/null >/dev/null \
	      || echo "Could not install wrk; the benchmarks fall back to the slower Python load generator."; \
	  else \
	    echo "wrk not found and cannot install it here (run 'apt-get install wrk' as root);" \
	      "the benchmarks fall back to the slower Python load generator."; \
	  fi; \
	fi
	$(PY) -m tests.benchmarks.run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs gettext; the compiled catalogs are committed so a fresh machine does not.
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l de -l it -l en --no-obsolete --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

check-deploy: $(STAMP)
	TRACKER_ENV=production SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=status.example.com EMAIL_URL=smtp://mail.example.com:587 $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/broker var/cache var/mail var/bench

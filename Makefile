# The two commands: `make run` (the whole embedded stack) and `make test` (every test).
VENV ?= $(CURDIR)/.venv
STACK := $(VENV)/bin/dbaas-stack

.PHONY: run up down status test install install-test bench clean messages policy-sample

run: install
	$(STACK) run

up: install
	$(STACK) up

down:
	@if [ -x $(STACK) ]; then $(STACK) down; else echo "The stack is not running."; fi

status:
	@if [ -x $(STACK) ]; then $(STACK) status || true; else echo "The stack is not installed."; fi

test: install-test
	$(VENV)/bin/python -m pytest -p no:cacheprovider tests

install:
	@bash scripts/install.sh

install-test:
	@bash scripts/install.sh --test

bench: install-test
	$(VENV)/bin/python bench/api_latency.py
	$(VENV)/bin/python bench/router_match.py
	$(VENV)/bin/python bench/instance_list.py
	$(VENV)/bin/python bench/instance_create.py
	$(VENV)/bin/python bench/dashboard_render.py
	@if [ -f bench/backup_throughput.py ]; then $(VENV)/bin/python bench/backup_throughput.py; fi

clean: down
	rm -rf .stack .static

# The dashboard's message catalogues (locale/<lang>/LC_MESSAGES/django.po and djangojs.po),
# extracted again from the code; translate what is new, then commit. Install compiles them.
LANGUAGES ?= de
messages: install
	for lang in $(LANGUAGES); do for domain in django djangojs; do \
	  $(VENV)/bin/python manage.py makemessages -l $$lang -d $$domain --no-obsolete \
	    -i '.venv/*' -i 'tests/*' -i 'api_service/*' -i 'bench/*' -i 'scripts/*' \
	    -i '.static/*' -i 'docs/*' -i '.stack/*' || exit 1; done; done

# The API's default policy as a commented sample (tests/unit/test_policy_roles.py checks the
# committed file is what this prints); copy rules from it into the stack's etc/policy.yaml.
policy-sample:
	$(VENV)/bin/oslopolicy-sample-generator --config-file etc/dbaas/dbaas-policy-generator.conf

# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT   ?= 8000
STAGE  ?= prod
BUILD  := build/$(STAGE)
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-$(shell cat requirements-infra.txt | cksum | cut -d' ' -f1)
DYNALITE := tools/dynalite/node_modules/.bin/dynalite
# dynalite plus TransactWriteItems, which dynalite itself lacks (see the file's header)
DYNALITE_SERVER := node tools/dynalite/server.js
# The browser tests (tests/browser): Debian's Chromium (never a browser Playwright
# downloads), a font with Chinese glyphs for readable screenshots, and axe-core from npm.
CHROMIUM := /usr/bin/chromium
AXE := tools/axe/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Starts dynalite on a free port for the rest of the recipe line (stopped when it ends) and
# leaves DYNALITE_ENDPOINT=... to prefix the command that uses it; the pytest fixture waits
# for it to answer.
WITH_DYNALITE = port=$$($(PY) -c "from scripts.local import free_port; print(free_port())"); \
	$(DYNALITE_SERVER) --port $$port --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
	> .dynalite.log 2>&1 & pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; \
	DYNALITE_ENDPOINT=http://127.0.0.1:$$port
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: install run test lint typecheck unit clean package infra-check openapi bench simulate capacity

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Start the whole service locally: embedded DynamoDB (dynalite) with SNS/SQS (moto), demo data,
## API on $(PORT), job timers, the sweep and facts queues' consumers, the published events shown.
run: $(STAMP) $(DYNALITE)
	PORT=$(PORT) $(PY) -m scripts.local

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

$(DYNALITE): tools/dynalite/package.json tools/dynalite/package-lock.json
	npm ci --prefix tools/dynalite --silent --no-audit --no-fund
	touch $@

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	npm ci --prefix tools/axe --silent --no-audit --no-fund
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei

## Lint, type-check and run the whole test suite (with dynalite, a second DynamoDB server,
## started here for the race and persistence tests and stopped afterwards), and the pages'
## tests in Chromium (tests/browser; screenshots in artifacts/screenshots/).
test: lint typecheck $(DYNALITE) $(AXE) $(CHROMIUM)
	@$(WITH_DYNALITE) $(PY) -m pytest

## Performance figures (table + bench/results.json), against dynalite and chalice local
bench: $(STAMP) $(DYNALITE) $(CHROMIUM) package
	@$(WITH_DYNALITE) $(PY) -m bench.run && $(PY) -m bench.readme

## A simulated month at scale (COMPLAINTS=100000 DAYS=30 SEED=16 by default) on the in-memory
## repositories, priced with the measured capacity units: bench/simulation.json, README block
simulate: $(STAMP)
	$(PY) -m bench.simulate && $(PY) -m bench.cost

## Re-measure DynamoDB capacity units per request on dynalite (bench/capacity.json)
capacity: $(STAMP) $(DYNALITE)
	@$(WITH_DYNALITE) $(PY) -m bench.cost measure

## Regenerate the committed OpenAPI document from the routes' models
openapi: $(STAMP)
	$(PY) -m scripts.openapi openapi.json

## One SAM/CloudFormation template with everything the app needs: build/$(STAGE)/sam.json
package: $(STAMP)
	$(PY) -m scripts.infra $(STAGE) $(BUILD)/merge.json
	$(VENV)/bin/chalice package --stage $(STAGE) --merge-template $(BUILD)/merge.json $(BUILD)
	$(PY) -m scripts.finish_package $(BUILD)/deployment.zip

$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	rm -f $(INFRA_VENV)/.installed-*
	touch $@

## Validate the packaged template: cfn-lint, then checkov (suppressions and reasons: .checkov.yaml)
infra-check: package $(INFRA_STAMP)
	$(INFRA_VENV)/bin/cfn-lint $(BUILD)/sam.json
	$(INFRA_VENV)/bin/checkov -f $(BUILD)/sam.json --config-file .checkov.yaml

clean:
	rm -rf $(VENV) $(INFRA_VENV) build .pytest_cache .mypy_cache .ruff_cache

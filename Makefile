# One venv, pinned by constraints.txt; every target installs what it needs first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install web dev test test-fast lint bench synth package clean lock

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Re-pin every dependency to what is installed now (after changing pyproject.toml).
lock:
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

# The web app (console and portal): npm ci from the lock file, then a build when a source moved.
WEB_SOURCES := $(shell find web/src web/index.html web/portal web/vite.config.ts web/tsconfig.json web/tsconfig.node.json -type f 2>/dev/null)
web: web/dist/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

dev: install web
	$(BIN)/python -m mspdesk.local

test: install web
	cd web && npm test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

test-fast: install
	$(BIN)/python -m pytest -q -x tests/unit tests/integration

lint: install
	$(BIN)/ruff check shared functions infra tests benchmarks
	$(BIN)/ruff format --check shared functions infra tests benchmarks
	$(BIN)/mypy --strict shared/mspdesk functions
	cd web && npm run lint

bench: install web
	$(BIN)/python -m benchmarks

# The Lambda layer and function folders in build/ (wheels for Lambda, no Docker).
package: install
	$(BIN)/python -m infra.package

# One stack per stage and region: `make synth STAGE=prod REGION=eu-west-1`; cdk-nag runs here.
STAGE ?= dev
REGION ?=
CDK_CONTEXT = -c stage=$(STAGE) $(if $(REGION),-c region=$(REGION))

synth: package
	$(BIN)/python -m infra.app $(CDK_CONTEXT)

# Deploys exactly what `make synth` checked (needs AWS credentials and a bootstrapped
# account; see infra/README.md).
.PHONY: deploy
deploy: synth
	npx --yes aws-cdk@2 deploy --app cdk.out --all --require-approval broadening

clean:
	rm -rf $(VENV) .local build cdk.out .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

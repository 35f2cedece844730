# `make test` is the README's test command: set-up, lint, build the .deb, then every test (pure,
# package, and the lab: Debian's kernel in qemu with real bonding, udev, ifupdown and NM, each lab
# module on one of the two releases; `make lab-all` boots every module on both).
# `make demo` shows the field report's collision and its fix on two lab guests.
# Both install what they need first (apt + pip, as root on Debian bookworm) and are safe to rerun.
PYTHON ?= python3
# Debian's own tools and interpreter build the package, whatever python3 is first on PATH.
DEBIAN_PATH = /usr/sbin:/usr/bin:/sbin:/bin
LAB_DEMO = tests/lab/test_demo.py
LAB_LANE_1 = tests/lab/test_networkd.py tests/lab/test_nm_through_port.py tests/lab/test_ifupdown2.py
LAB_LANE_2 = tests/lab/test_networkmanager.py tests/lab/test_ifupdown.py tests/lab/test_package.py
LAB_LANES = lab-lane-1 lab-lane-2

.PHONY: test demo bench unit lab lab-all lab-lanes $(LAB_LANES) lint deb deb-previous setup clean

test: setup lint deb deb-previous
	$(PYTHON) -m pytest -v -m "not lab"
	$(MAKE) --no-print-directory lab-lanes

demo: setup
	$(PYTHON) -m tests.lab.demo

# Benchmarks, not tests: prints one table and writes docs/benchmarks.md; never fails on speed.
# The guest runs bondhook from src with Debian's python3: compiled first, as an install would be.
bench: setup
	/usr/bin/python3 -m compileall -q src
	PYTHONPATH=src $(PYTHON) -m bench.run

unit:
	$(PYTHON) -m pytest -v -m "not lab"

lab: deb deb-previous
	$(MAKE) --no-print-directory lab-lanes

# Every lab module on both releases (make test and lab boot each module on one: tests/lab/vm.py).
lab-all: setup deb deb-previous
	LAB_MATRIX=all $(MAKE) --no-print-directory lab-lanes

# The lab: the demo first (its two guests, which must run together, take both cores), then the
# other modules in two lanes side by side, one pytest each, its output whole when it ends. Every
# guest has one vCPU and holds one of the host's guest slots (one per CPU, shared by the lanes)
# while it runs: tests/lab/vm.py. The lanes are balanced by their guests' measured times.
lab-lanes:
	$(PYTHON) -m pytest -v -m lab $(LAB_DEMO); demo=$$?; \
	echo "lab: two lanes side by side; each prints its tests when it ends"; \
	$(MAKE) --no-print-directory -k -j2 --output-sync=target $(LAB_LANES); lanes=$$?; \
	exit $$((demo || lanes))

lab-lane-1:
	$(PYTHON) -m pytest -v -m lab $(LAB_LANE_1)

lab-lane-2:
	$(PYTHON) -m pytest -v -m lab $(LAB_LANE_2)

lint:
	$(PYTHON) -m ruff check src tests bench
	$(PYTHON) -m ruff format --check src tests bench
	sh -n if-up.d/bondhook
	sh -n NetworkManager/dispatcher.d/pre-up.d/90-bondhook NetworkManager/dispatcher.d/90-bondhook

# Source and binary packages, built from a copy of the tracked files so that the work tree stays
# clean; the upstream tarball is that copy without debian/. Results in dist/.
UPSTREAM_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version | sed 's/-[^-]*$$//')
deb:
	rm -rf build/deb dist
	mkdir -p build/deb/bondhook dist
	git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C build/deb/bondhook
	tar -C build/deb --exclude=bondhook/debian -czf build/deb/bondhook_$(UPSTREAM_VERSION).orig.tar.gz bondhook
	cd build/deb/bondhook && env PATH=$(DEBIAN_PATH) dpkg-buildpackage -us -uc
	cp build/deb/*.deb build/deb/*.dsc build/deb/*.tar.* build/deb/*.changes build/deb/*.buildinfo dist/

# The previous revision's binary package, for the lab's upgrade test: built from the commit
# tests/lab/previous-revision names (git history, no download), its unit tests skipped (they ran
# when it was main). Result in dist/previous/.
PREVIOUS_COMMIT = $(shell sed -n 's/^[^#][^ ]* //p' tests/lab/previous-revision)
deb-previous:
	rm -rf build/previous dist/previous
	mkdir -p build/previous dist/previous
	git archive --prefix=bondhook/ $(PREVIOUS_COMMIT) | tar -xf - -C build/previous
	cd build/previous/bondhook && env PATH=$(DEBIAN_PATH) DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b
	cp build/previous/*.deb dist/previous/

setup:
	bash .ci/setup

clean:
	rm -rf build dist

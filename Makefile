# Shoal — the two commands of the README's quick start.
#
#   make run    install what is missing, build, run Shoal (shoald, the
#               headless servent, until the desktop app exists)
#   make test   install what is missing, build with AddressSanitizer and
#               UndefinedBehaviorSanitizer, run the whole suite
#
# Works as root or as a user with sudo on Debian 12. Elsewhere it names the
# packages to install and goes on with what is there. (systemd is there for
# systemd-analyze, which checks the service units; it need not be running.
# avahi-daemon, dbus-daemon and iproute2 are for the LAN tests, which run
# their own daemons in network namespaces they make.)

BUILDDIR ?= build
# The suite is the headless one: -Dgui=false needs no GTK development files.
# LAN discovery must be built: its tests run real avahi-daemons.
MESON_OPTIONS = -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true -Dgui=false \
                -Davahi=enabled

# Debian 12 package names: the compiler is clang because the fuzz targets
# need libFuzzer, and one compiler keeps one build directory.
DEB_PACKAGES = meson ninja-build pkg-config clang libclang-rt-14-dev \
               libglib2.0-dev libjson-glib-dev zlib1g-dev libsqlite3-dev nettle-dev \
               libmicrohttpd-dev curl systemd \
               libavahi-client-dev libavahi-glib-dev avahi-daemon dbus-daemon iproute2

.PHONY: all run test bench deps configure build clean

all: build

# The headless ultrapeer runs without a display; the desktop app will run
# with one once it exists. Options for shoald: make run SHOALD_ARGS="--share ~/Music".
SHOALD_ARGS ?=

run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "The desktop app is not written yet: running the headless servent, shoald."; \
	fi
	@echo "shoald joins the Gnutella network; Ctrl-C stops it cleanly."
	exec $(BUILDDIR)/src/daemon/shoald $(SHOALD_ARGS)

test: build
	meson test -C $(BUILDDIR) --print-errorlogs

# Figures, not a test: an optimised build without sanitizers.
bench: deps
	@[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release
	meson compile -C build-release bench/library
	build-release/bench/library
	meson compile -C build-release bench/gnet-load src/daemon/shoald bench/transfer
	sh bench/routing.sh
	build-release/bench/transfer

build: configure
	meson compile -C $(BUILDDIR)

configure: deps
	@if [ -f $(BUILDDIR)/build.ninja ]; then \
	  meson configure $(BUILDDIR) $(MESON_OPTIONS); \
	else \
	  CC=clang meson setup $(BUILDDIR) $(MESON_OPTIONS); \
	fi

deps:
	@missing=""; \
	if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then \
	  echo "Not a Debian system: make sure these (or your system's equivalents) are installed:"; \
	  echo "  $(DEB_PACKAGES)"; \
	  exit 0; \
	fi; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "Missing packages:$$missing"; echo "Run make as root or install sudo."; exit 1; fi; \
	echo "Installing:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

clean:
	rm -rf $(BUILDDIR) build-release

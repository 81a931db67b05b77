# Shoal — the two commands of the README's quick start.
#
#   make run    install what is missing, build, run Shoal: the desktop app
#               when there is a display, else shoald, the headless servent
#   make test   install what is missing, build with AddressSanitizer and
#               UndefinedBehaviorSanitizer, run the whole suite, then build
#               the headless servent as on a machine without GTK and run
#               its tests there too
#
# Works as root or as a user with sudo on Debian 12. Elsewhere it names the
# packages to install and goes on with what is there. (systemd is there for
# systemd-analyze, which checks the service units; it need not be running.
# avahi-daemon, dbus-daemon and iproute2 are for the LAN tests, which run
# their own daemons in network namespaces they make. xvfb and xauth give
# the desktop app's tests a display; imagemagick's import takes their
# screenshots. gettext builds the translations; desktop-file-utils,
# appstream, gtk-update-icon-cache and libglib2.0-bin check and install the
# desktop file, metainfo, icons and schema; flatpak-builder and
# json-glib-tools check the flatpak manifest.)

BUILDDIR ?= build
# The whole suite, the desktop app's included (under Xvfb). LAN discovery
# must be built: its tests run real avahi-daemons.
MESON_OPTIONS = -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=true -Dgui=true \
                -Davahi=enabled
# The headless servent (-Dgui=false) built where pkg-config cannot see GTK
# or libadwaita, as on a server without them; its no-GTK check, the
# daemon's tests and its install check run in that build too.
HEADLESS_BUILDDIR ?= build-headless
HEADLESS_PKGCONFIG = $(CURDIR)/$(HEADLESS_BUILDDIR)-pkgconfig
HEADLESS_OPTIONS = -Dgui=false -Davahi=enabled
# make run and make bench: optimised, no sanitizers.
RELEASE_BUILDDIR ?= build-release

# Debian 12 package names: the compiler is clang because the fuzz targets
# need libFuzzer, and one compiler keeps one build directory.
DEB_PACKAGES = meson ninja-build pkg-config clang libclang-rt-14-dev \
               libglib2.0-dev libjson-glib-dev zlib1g-dev libsqlite3-dev nettle-dev \
               libmicrohttpd-dev curl systemd \
               libavahi-client-dev libavahi-glib-dev avahi-daemon dbus-daemon iproute2 \
               libgtk-4-dev libadwaita-1-dev xvfb xauth imagemagick \
               gettext desktop-file-utils appstream gtk-update-icon-cache libglib2.0-bin \
               flatpak-builder json-glib-tools

.PHONY: all run test bench deps configure build headless release clean

all: build

# With a display, the desktop app; without one (ssh, a server), the headless
# servent. Options for shoald: make run SHOALD_ARGS="--share ~/Music".
SHOALD_ARGS ?=

run: release
	meson compile -C $(RELEASE_BUILDDIR) src/gui/shoal:executable src/daemon/shoald:executable \
	  src/cli/shoalctl:executable
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "Starting Shoal, the desktop app."; \
	  exec $(RELEASE_BUILDDIR)/src/gui/shoal; \
	fi; \
	echo "No display: running the headless servent, shoald. It joins the Gnutella network;"; \
	echo "Ctrl-C stops it cleanly. $(RELEASE_BUILDDIR)/src/cli/shoalctl status shows it."; \
	exec $(RELEASE_BUILDDIR)/src/daemon/shoald $(SHOALD_ARGS)

test: build headless
	meson test -C $(BUILDDIR) --print-errorlogs
	meson test -C $(HEADLESS_BUILDDIR) --print-errorlogs --suite tools --suite daemon --suite data

# The headless servent where GTK is not installed, as far as its build can
# tell: pkg-config sees every package but GTK's and libadwaita's.
headless: deps
	sh tests/tools/hide-gtk-pkgconfig.sh $(HEADLESS_PKGCONFIG)
	@if [ -f $(HEADLESS_BUILDDIR)/build.ninja ]; then \
	  PKG_CONFIG_LIBDIR=$(HEADLESS_PKGCONFIG) meson configure $(HEADLESS_BUILDDIR) $(HEADLESS_OPTIONS); \
	else \
	  CC=clang PKG_CONFIG_LIBDIR=$(HEADLESS_PKGCONFIG) meson setup $(HEADLESS_BUILDDIR) $(HEADLESS_OPTIONS); \
	fi
	PKG_CONFIG_LIBDIR=$(HEADLESS_PKGCONFIG) meson compile -C $(HEADLESS_BUILDDIR)

release: deps
	@[ -f $(RELEASE_BUILDDIR)/build.ninja ] || CC=clang meson setup $(RELEASE_BUILDDIR) --buildtype=release

# Figures, not a test: an optimised build without sanitizers. bench/gui
# needs a display: it gets a virtual one.
bench: release
	meson compile -C $(RELEASE_BUILDDIR) bench/library
	$(RELEASE_BUILDDIR)/bench/library
	meson compile -C $(RELEASE_BUILDDIR) bench/gnet-load src/daemon/shoald:executable bench/transfer
	sh bench/routing.sh
	$(RELEASE_BUILDDIR)/bench/transfer
	meson compile -C $(RELEASE_BUILDDIR) bench/gui
	dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24' env GDK_DEBUG=gl-disable \
	  sh -c '$(RELEASE_BUILDDIR)/bench/gui && $(RELEASE_BUILDDIR)/bench/gui --sort-by=name && \
	         $(RELEASE_BUILDDIR)/bench/gui --sort-by=sources'

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
	rm -rf $(BUILDDIR) $(HEADLESS_BUILDDIR) $(HEADLESS_PKGCONFIG) $(RELEASE_BUILDDIR)

#!/bin/sh
# hide-gtk-pkgconfig.sh DIR — fills DIR with links to every pkg-config file
# on this system except GTK's and libadwaita's, so that a build configured
# with PKG_CONFIG_LIBDIR=DIR sees a machine without them. make test builds
# the headless servent that way: it must build where GTK is not installed.
set -eu
dir=${1:?usage: hide-gtk-pkgconfig.sh DIR}
rm -rf "$dir"
mkdir -p "$dir"
for path in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
  [ -d "$path" ] || continue
  for pc in "$path"/*.pc; do
    [ -e "$pc" ] || continue
    name=$(basename "$pc")
    case $name in
      gtk4*.pc | libadwaita-*.pc) continue ;;
    esac
    # The first directory on the search path wins, as for pkg-config.
    [ -e "$dir/$name" ] || ln -s "$pc" "$dir/$name"
  done
done
if PKG_CONFIG_LIBDIR=$dir pkg-config --exists gtk4 || PKG_CONFIG_LIBDIR=$dir pkg-config --exists libadwaita-1; then
  echo "hide-gtk-pkgconfig.sh: GTK is still visible through $dir" >&2
  exit 1
fi

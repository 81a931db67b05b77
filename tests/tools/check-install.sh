#!/bin/sh
# check-install.sh BUILDDIR PREFIX EXPECTED [APP-ID] — `meson install` into a
# temporary DESTDIR installs exactly the files listed in EXPECTED (paths
# relative to PREFIX; anything outside PREFIX shows as an absolute path),
# and what it installs fits together: the units start the installed shoald;
# with APP-ID (GUI builds), the desktop file starts the installed app and
# names its icon, and the post-install cache updates were left to the
# target system. TAP output.
set -u
builddir=${1:?usage: check-install.sh BUILDDIR PREFIX EXPECTED [APP-ID]}
prefix=${2:?usage: check-install.sh BUILDDIR PREFIX EXPECTED [APP-ID]}
expected=${3:?usage: check-install.sh BUILDDIR PREFIX EXPECTED [APP-ID]}
app_id=${4:-}
meson=${MESON:-meson}

command -v "$meson" >/dev/null || { echo "Bail out! meson is missing"; exit 1; }
[ -r "$expected" ] || { echo "Bail out! no expected file list at $expected"; exit 1; }
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
destdir=$work/destdir
root=$destdir$prefix

if [ -n "$app_id" ]; then
  echo "1..5"
else
  echo "1..3"
fi
status=0
n=0

ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}

# not_ok DESCRIPTION [FILE]: FILE (the reason) goes out as TAP comments.
not_ok () {
  n=$((n + 1))
  echo "not ok $n - $1"
  [ $# -lt 2 ] || sed 's/^/# /' "$2"
  status=1
}

# The files are built already (meson test builds what this test depends
# on): an install that would have to build is a missing dependency.
if "$meson" install -C "$builddir" --no-rebuild --destdir "$destdir" >"$work/install.log" 2>&1; then
  ok "meson install into a DESTDIR"
else
  not_ok "meson install into a DESTDIR" "$work/install.log"
  echo "Bail out! nothing installed to check"
  exit 1
fi

# Every file and link, relative to the prefix; what lands outside it
# (a path meson made absolute) keeps its absolute path and so differs.
(cd "$destdir" && find . ! -type d | sed 's|^\.||') | while IFS= read -r path; do
  case $path in
    "$prefix"/*) printf '%s\n' "${path#"$prefix"/}" ;;
    *) printf '%s\n' "$path" ;;
  esac
done | LC_ALL=C sort >"$work/installed.txt"
grep -v -e '^#' -e '^$' "$expected" | LC_ALL=C sort >"$work/expected.txt"
if diff -u "$work/expected.txt" "$work/installed.txt" >"$work/list.diff"; then
  ok "the installed files are those of $(basename "$expected")"
else
  not_ok "the installed files differ from $(basename "$expected") (- missing, + unexpected):" "$work/list.diff"
fi

# exec_names_binary FILE KEY: the first word of FILE's KEY= line is an
# executable installed under the prefix, named by its absolute path or by
# its name in bin/.
exec_names_binary () {
  command=$(sed -n "s/^$2=\([^ ]*\).*/\1/p" "$1" | head -n 1)
  case $command in
    "") echo "$(basename "$1") has no $2 line" ;;
    "$prefix"/*) [ -x "$destdir$command" ] || echo "$(basename "$1"): $2 runs $command, not installed" ;;
    /*) echo "$(basename "$1"): $2 runs $command, outside the prefix $prefix" ;;
    *) [ -x "$root/bin/$command" ] || echo "$(basename "$1"): $2 runs $command, not installed in $prefix/bin" ;;
  esac
}

: >"$work/units.txt"
for unit in "$root"/lib/systemd/system/*.service "$root"/lib/systemd/user/*.service; do
  [ -e "$unit" ] || continue
  exec_names_binary "$unit" ExecStart >>"$work/units.txt"
done
if [ -s "$work/units.txt" ]; then
  not_ok "the units start the installed shoald:" "$work/units.txt"
else
  ok "the units start the installed shoald"
fi

[ -n "$app_id" ] || exit $status

desktop=$root/share/applications/$app_id.desktop
: >"$work/desktop.txt"
if [ -f "$desktop" ]; then
  exec_names_binary "$desktop" Exec >>"$work/desktop.txt"
  icon=$(sed -n 's/^Icon=//p' "$desktop")
  [ "$icon" = "$app_id" ] || echo "Icon=$icon, not the app ID $app_id" >>"$work/desktop.txt"
  for icon_file in scalable/apps/$app_id.svg symbolic/apps/$app_id-symbolic.svg; do
    [ -f "$root/share/icons/hicolor/$icon_file" ] || echo "no icon hicolor/$icon_file" >>"$work/desktop.txt"
  done
else
  echo "no $app_id.desktop installed" >"$work/desktop.txt"
fi
if [ -s "$work/desktop.txt" ]; then
  not_ok "the desktop file starts the installed app, with its icons:" "$work/desktop.txt"
else
  ok "the desktop file starts the installed app, with its icons"
fi

# meson runs gnome.post_install's cache updates only without DESTDIR: a
# staged install is not the system yet, and a package's triggers update
# the caches where it lands. So: each update was registered and skipped,
# no cache was half-written into DESTDIR, and each command, run as meson
# would on the staged tree, makes a cache that serves the app.
: >"$work/post.txt"
for tool in glib-compile-schemas update-icon-cache update-desktop-database; do
  grep -q "DESTDIR.*$tool" "$work/install.log" ||
    echo "no post-install $tool skipped under DESTDIR" >>"$work/post.txt"
done
for cache in share/glib-2.0/schemas/gschemas.compiled share/icons/hicolor/icon-theme.cache \
             share/applications/mimeinfo.cache; do
  [ ! -e "$root/$cache" ] || echo "$cache written under DESTDIR" >>"$work/post.txt"
done
schemas_compile () {
  dir=$root/share/glib-2.0/schemas
  glib-compile-schemas --strict "$dir" &&
    gsettings --schemadir "$dir" list-keys "$app_id" | grep -qx window-width
}
icon_cache_update () {
  tool=$(command -v gtk4-update-icon-cache || command -v gtk-update-icon-cache) &&
    "$tool" -q -t -f "$root/share/icons/hicolor" &&
    [ -s "$root/share/icons/hicolor/icon-theme.cache" ]
}
desktop_database_update () {
  update-desktop-database -q "$root/share/applications" &&
    grep -qx "x-scheme-handler/magnet=$app_id.desktop;" "$root/share/applications/mimeinfo.cache"
}
# step_failed WHAT: WHAT and the output of the step that failed.
step_failed () {
  echo "$1" >>"$work/post.txt"
  sed 's/^/  /' "$work/step.log" >>"$work/post.txt"
}
schemas_compile >"$work/step.log" 2>&1 || step_failed "glib-compile-schemas: no $app_id schema compiled"
icon_cache_update >"$work/step.log" 2>&1 || step_failed "update-icon-cache: no icon cache made"
desktop_database_update >"$work/step.log" 2>&1 ||
  step_failed "update-desktop-database: magnet: links not given to $app_id.desktop"
if [ -s "$work/post.txt" ]; then
  not_ok "the post-install cache updates are left to the system, and work:" "$work/post.txt"
else
  ok "the post-install cache updates are left to the system, and work"
fi
exit $status

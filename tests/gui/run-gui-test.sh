#!/bin/sh
# run-gui-test.sh — runs one GUI test program (and its arguments) on a
# private session bus and a virtual X screen, and exits with its status.
#
# The pipeline runs in a session of its own so that a signal to this
# script (meson's timeout, Ctrl-C) takes Xvfb, dbus-daemon and the test
# down with it: xvfb-run only cleans up after itself on a normal exit.
set -u

setsid dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24' "$@" &
group=$!

stop_group ()
{
  kill -TERM "-$group" 2>/dev/null
  wait "$group"
}
trap 'stop_group; trap - TERM; kill -TERM $$' TERM
trap 'stop_group; trap - INT; kill -INT $$' INT
trap 'stop_group; trap - HUP; kill -HUP $$' HUP

wait "$group"

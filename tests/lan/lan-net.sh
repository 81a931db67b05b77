#!/bin/sh
# lan-net.sh — a private LAN for tests, in network namespaces: the host's
# own network is never touched. Needs root: of the machine, or of a user
# namespace with a /run of its own that holds netns, dbus and avahi-daemon
# (as test-lan makes when it runs without root).
#
#   lan-net.sh up PREFIX N
#       namespace PREFIX-hub with bridge br0, and PREFIX-1..N, each with
#       lan0 (a veth into br0) at 10.88.0.I/24 and lo up. Removes what an
#       aborted run left first.
#   lan-net.sh down PREFIX N
#       ends what still runs in those namespaces and removes them (and any
#       other PREFIX-* namespace); fine when they are already gone.
#   lan-net.sh node PREFIX I DIR HOSTNAME COMMAND [ARG...]
#       in PREFIX-I, in mount and UTS namespaces of its own, with tmpfs on
#       /run/dbus and /run/avahi-daemon and the host name HOSTNAME (what
#       the node's default service name is made of; avahi-daemon's own
#       host name is always nodeI): starts a system dbus-daemon and an
#       avahi-daemon (pids in DIR/dbus.pid and DIR/avahi.pid, logs next to
#       them), then execs COMMAND: its pid is the pid of this call.
#   lan-net.sh avahi PID DIR
#       starts the avahi-daemon of DIR again, in the namespaces of process
#       PID (the COMMAND of a node), and returns once it is up.
set -eu

# A user's PATH may lack where ip and avahi-daemon are.
PATH=$PATH:/usr/sbin:/sbin
export PATH

SUBNET=10.88.0
LAN_IF=lan0
BRIDGE=br0
# Seconds a daemon has to come up, and how often we look.
START_TIMEOUT_S=10
POLL_S=0.05
# Seconds what runs in a namespace has to end after SIGTERM.
STOP_TIMEOUT_S=5

die ()
{
  echo "lan-net.sh: $*" >&2
  exit 1
}

# Runs "$@" until it succeeds; fails after START_TIMEOUT_S.
wait_for ()
{
  what=$1
  shift
  tries=$(awk "BEGIN { print int($START_TIMEOUT_S / $POLL_S) }")
  while ! "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || die "timed out waiting for $what"
    sleep "$POLL_S"
  done
}

namespaces_of ()
{
  ip netns list | awk -v prefix="$1-" 'index($1, prefix) == 1 { print $1 }'
}

no_pids_in ()
{
  [ -z "$(ip netns pids "$1" 2>/dev/null)" ]
}

# What an earlier run left running there (its daemons) would keep the
# namespace's network alive after the name is gone.
stop_pids_in ()
{
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  tries=$(awk "BEGIN { print int($STOP_TIMEOUT_S / $POLL_S) }")
  while ! no_pids_in "$1" && [ "$tries" -gt 0 ]; do
    tries=$((tries - 1))
    sleep "$POLL_S"
  done
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

# Every PREFIX-* namespace goes, not only the N asked for: a run that
# used more nodes may have been aborted.
down ()
{
  prefix=$1
  for ns in $(namespaces_of "$prefix"); do
    stop_pids_in "$ns"
    ip netns delete "$ns"
  done
}

up ()
{
  prefix=$1
  count=$2
  hub=$prefix-hub
  [ ${#hub} -le 15 ] || die "prefix $prefix is too long"
  down "$prefix" "$count"
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add "$BRIDGE" type bridge stp_state 0 mcast_snooping 0
  ip -n "$hub" link set "$BRIDGE" up
  i=1
  while [ "$i" -le "$count" ]; do
    ns=$prefix-$i
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$hub" link add "v$i" type veth peer name "$LAN_IF" netns "$ns"
    ip -n "$hub" link set "v$i" master "$BRIDGE" up
    ip -n "$ns" link set "$LAN_IF" multicast on up
    ip -n "$ns" address add "$SUBNET.$i/24" dev "$LAN_IF"
    i=$((i + 1))
  done
}

# Root of a user namespace, not of the machine: the only uid and gid
# there are 0.
in_user_namespace ()
{
  ! grep -Eq '^ *0 +0 +4294967295$' /proc/self/uid_map
}

# The system bus's configuration switches to user messagebus, which a
# user namespace lacks: this bus stays root and lets the node's daemons
# and shoald, all that is on it, do anything.
write_dbus_config ()
{
  cat > "$1" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
}

# avahi-daemon gives /run/avahi-daemon to user avahi even when it keeps
# root, and stops when that does not take: in a user namespace, in the
# node's own mount namespace, user and group avahi are 0.
make_avahi_root ()
{
  dir=$1
  awk -F: -v OFS=: '$1 == "avahi" { $3 = 0; $4 = 0 } { print }' /etc/passwd > "$dir/passwd"
  awk -F: -v OFS=: '$1 == "avahi" { $3 = 0 } { print }' /etc/group > "$dir/group"
  mount --bind "$dir/passwd" /etc/passwd
  mount --bind "$dir/group" /etc/group
}

write_avahi_config ()
{
  cat > "$1" <<EOF
[server]
host-name=$2
use-ipv4=yes
use-ipv6=no
allow-interfaces=$LAN_IF
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-workstation=no
publish-hinfo=no
publish-addresses=yes
EOF
}

# The daemons run outside the node's process tree: "( ... & )" leaves them
# to the reaper, so that the node's COMMAND never inherits them.
start_avahi ()
{
  dir=$1
  rm -f "$dir/avahi.pid"
  (avahi-daemon -f "$dir/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits \
      < /dev/null >> "$dir/avahi.log" 2>&1 &
   echo $! > "$dir/avahi.pid.new")
  mv "$dir/avahi.pid.new" "$dir/avahi.pid"
  wait_for "avahi-daemon (log: $dir/avahi.log)" avahi_is_up "$dir"
}

# Up once it has probed its host name; an avahi-daemon that died is an
# error at once, not a timeout.
avahi_is_up ()
{
  kill -0 "$(cat "$1/avahi.pid")" 2>/dev/null || die "avahi-daemon died: $(cat "$1/avahi.log")"
  grep -q "Server startup complete" "$1/avahi.log"
}

start_dbus ()
{
  dir=$1
  config=--system
  if in_user_namespace; then
    write_dbus_config "$dir/dbus.conf"
    config=--config-file=$dir/dbus.conf
  fi
  (dbus-daemon "$config" --nofork --nopidfile --nosyslog < /dev/null > "$dir/dbus.log" 2>&1 &
   echo $! > "$dir/dbus.pid.new")
  mv "$dir/dbus.pid.new" "$dir/dbus.pid"
  wait_for "dbus-daemon (log: $dir/dbus.log)" dbus_is_up "$dir"
}

dbus_is_up ()
{
  kill -0 "$(cat "$1/dbus.pid")" 2>/dev/null || die "dbus-daemon died: $(cat "$1/dbus.log")"
  test -S /run/dbus/system_bus_socket
}

# In the node's namespaces, as root of its own mount namespace.
inside_node ()
{
  index=$1
  dir=$2
  hostname "$3"
  shift 3
  mount -t tmpfs -o mode=0755 tmpfs /run/dbus
  mount -t tmpfs -o mode=0755 tmpfs /run/avahi-daemon
  if in_user_namespace; then
    make_avahi_root "$dir"
  fi
  write_avahi_config "$dir/avahi-daemon.conf" "node$index"
  : > "$dir/avahi.log"
  start_dbus "$dir"
  start_avahi "$dir"
  exec "$@"
}

node ()
{
  prefix=$1
  index=$2
  dir=$3
  shift 3
  mkdir -p "$dir"
  exec ip netns exec "$prefix-$index" unshare --mount --uts --propagation private \
    sh "$0" inside-node "$index" "$dir" "$@"
}

avahi ()
{
  pid=$1
  dir=$2
  exec nsenter --target "$pid" --mount --uts --net sh "$0" inside-avahi "$dir"
}

inside_avahi ()
{
  dir=$1
  # What the last one logged must not pass for the new one's start.
  : > "$dir/avahi.log"
  start_avahi "$dir"
}

[ $# -ge 1 ] || die "usage: lan-net.sh up|down|node|avahi ..."
command=$1
shift
case $command in
  up) [ $# -eq 2 ] || die "usage: lan-net.sh up PREFIX N"; up "$@" ;;
  down) [ $# -eq 2 ] || die "usage: lan-net.sh down PREFIX N"; down "$@" ;;
  node) [ $# -ge 5 ] || die "usage: lan-net.sh node PREFIX I DIR HOSTNAME COMMAND..."; node "$@" ;;
  avahi) [ $# -eq 2 ] || die "usage: lan-net.sh avahi PID DIR"; avahi "$@" ;;
  inside-node) inside_node "$@" ;;
  inside-avahi) inside_avahi "$@" ;;
  *) die "unknown command $command" ;;
esac

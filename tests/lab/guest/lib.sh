# Helpers for lab scenarios; sourced by the guest scripts, which run as root inside the qemu guest.
# The host passes LAB_OUT (a --rwdir shared with the host) and BONDHOOK_ROOT (the repo); every
# bondhook run in the guest uses Debian's /usr/bin/python3 and its libraries.
set -u
OUT=${LAB_OUT:?}
RESULTS=$OUT/results.txt
exec >>"$OUT/guest.log" 2>&1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p /run/network

record() { printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; echo "RESULT $1=$2"; }
# Each step with the guest's uptime, so that a slow boot shows where its time went.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
step() { echo; echo "=== [$(uptime_s) s] $*"; }
echo "=== [$(uptime_s) s] $(basename "$0") starts"

# NIC names follow PCI slots: find each by its permanent MAC.
nic() {
	for dev in /sys/class/net/*; do
		if [ "$(cat "$dev/address")" = "$1" ]; then basename "$dev"; return; fi
	done
	echo "no NIC with MAC $1" >&2; exit 1
}
# The lab's four NICs, A to D, by the permanent MACs the host gives them (tests/lab/ifupdown2_checks.py).
four_nics() {
	A=$(nic 52:54:00:c8:76:09)
	B=$(nic 52:54:00:c8:76:0a)
	C=$(nic 02:54:00:c8:76:0b)
	D=$(nic a0:36:9f:12:34:56)
	record nics "$A,$B,$C,$D"
}
mac_of() { cat "/sys/class/net/$1/address" 2>/dev/null || echo absent; }
assign_of() { cat "/sys/class/net/$1/addr_assign_type" 2>/dev/null || echo absent; }

# bondhook's source as the guest's Python runs it: a copy in /run, compiled once per boot and only
# in boots that run it from the work tree (the package boot runs the installed one). A guest of its
# own root sees the repository read-only, where Python would compile every module again at every
# start: seconds each time under emulation.
# A guest of the host's own root (bookworm) can be given a copy the host compiled with the same
# /usr/bin/python3 (LAB_SRC, in a read-write share): nothing to copy or compile in the guest.
SRC=${LAB_SRC:-/run/bondhook-src}
compiled_src() {
	[ -d $SRC ] && return
	cp -a "$BONDHOOK_ROOT/src" $SRC
	/usr/bin/python3 -m compileall -q $SRC >/dev/null
}

# bondhook from the work tree for /usr/bin/python3 (a .pth: the hooks' `python3 -I` reads it) and
# a /usr/bin/bondhook, which the hooks require as the package's program.
install_bondhook_program() {
	compiled_src
	echo "$SRC" >/usr/lib/python3/dist-packages/bondhook-lab.pth
	printf '#!/bin/sh\nexec /usr/bin/python3 -I -m bondhook "$@"\n' >/usr/bin/bondhook
	chmod 755 /usr/bin/bondhook
}
install_bondhook() {
	install_bondhook_program
	install -m 755 "$BONDHOOK_ROOT/if-up.d/bondhook" /etc/network/if-pre-up.d/bondhook
}
uninstall_bondhook() { rm -f /etc/network/if-pre-up.d/bondhook; }
# udevd again, to read a changed /etc (machine-id, .link files). Merged /usr: both releases have
# it here, and /lib is only a link to /usr/lib.
restart_udevd() {
	udevadm control --exit
	/usr/lib/systemd/systemd-udevd --daemon
}
# Where the package installs its NetworkManager scripts, for pre-up and for up/down events (not
# conffiles: /etc overrides them).
NM_PRE_UP=/usr/lib/NetworkManager/dispatcher.d/pre-up.d
NM_EVENTS=/usr/lib/NetworkManager/dispatcher.d
# /etc/network/interfaces with lo and one bond0 stanza (manual, miimon 100).
bond_stanza() { # mode, slaves, option lines (tab-indented after the first), extra stanzas
	cat >/etc/network/interfaces <<EOT
auto lo
iface lo inet loopback

iface bond0 inet manual
	bond-mode $1
	bond-slaves $2
	bond-miimon 100
	$3
${4:-}
EOT
}
bondhook() {
	compiled_src
	PYTHONPATH=$SRC /usr/bin/python3 -m bondhook "$@"
}

# Without ifenslave's 98-net-bonding.link, udev's 99-default.link (MACAddressPolicy=persistent)
# hashes /etc/machine-id and the bond's name into its MAC: the reporter's machines.
mask_bonding_link() {
	mkdir -p /etc/systemd/network
	ln -sf /dev/null /etc/systemd/network/98-net-bonding.link
	udevadm control --reload
}

# Back to a fresh state: no stanzas up, no bonds, bonding module unloaded, ports down.
reset_net() {
	ifdown -a --force >/dev/null 2>&1
	for dev in /sys/class/net/*/bonding; do
		[ -d "$dev" ] && ip link del "$(basename "$(dirname "$dev")")"
	done
	rm -f /run/network/ifstate*
	udevadm settle
	modprobe -r bonding 2>/dev/null
	for port in "$@"; do ip link set "$port" down; done
}

# ifupdown2 in place of ifupdown (they conflict): Debian's package from the .deb at $1, without
# dpkg's triggers (man-db's took minutes under TCG). Its lock file needs locks the 9p root lacks.
install_ifupdown2() {
	mountpoint -q /run/network || mount -t tmpfs tmpfs /run/network
	dpkg -r --force-depends --no-triggers ifupdown >"$OUT/ifupdown2.dpkg" 2>&1
	dpkg -i --no-triggers "$1" >>"$OUT/ifupdown2.dpkg" 2>&1
	record ifupdown2.dpkg_rc "$?"
	record ifupdown2.version "$(ifquery --version 2>/dev/null)"
	# trixie's iproute2 keeps its tables in /usr/share and makes no /etc/iproute2: ifupdown2 3.0.0's
	# vrf module then fails every ifreload (status 1) on writing its map there, bonds or not.
	mkdir -p /etc/iproute2/rt_tables.d
}
# Upstream ifupdown2 (the lineage Proxmox VE ships) over Debian's installed one: the Python tree of
# its source's ifupdown2/ directory $1 in /usr/share/ifupdown2 (shared/third_party/README.md).
install_ifupdown2_upstream() {
	for part in __init__.py __main__.py addons ifupdown ifupdownaddons lib nlmanager; do
		rm -rf "/usr/share/ifupdown2/$part"
		cp -a "$1/$part" /usr/share/ifupdown2/
	done
	# ifquery --version asks dpkg, which still has Debian's package: the tree's own version instead.
	record ifupdown2_upstream.version "$(sed -n "s/^__version__ = '\(.*\)'\$/\1/p" /usr/share/ifupdown2/__init__.py)"
}
# The policy the package installs for ifupdown2, from the work tree.
install_ifupdown2_policy() {
	install -D -m 644 "$BONDHOOK_ROOT/ifupdown2/policy.d/bondhook.json" /var/lib/ifupdown2/policy.d/bondhook.json
}
# Every link event (`ip -o monitor link`, one line each) into $OUT/NAME.monitor until stop_monitor.
monitor_links() {
	ip -o monitor link >"$OUT/$1.monitor" 2>&1 &
	monitor_pid=$!
	sleep 0.5
}
stop_monitor() {
	sleep 0.5
	kill "$monitor_pid"
	wait "$monitor_pid" 2>/dev/null
}

# Run `ifup ARGS`, keep its output in $OUT/NAME.ifup, and record rc, wall time, bondhook lines.
ifup_and_record() {
	name=$1; shift
	start=$(date +%s%N)
	ifup "$@" >"$OUT/$name.ifup" 2>&1
	record "$name.rc" "$?"
	record "$name.ms" "$(( ($(date +%s%N) - start) / 1000000 ))"
	udevadm settle
	record "$name.bondhook_lines" "$(grep -c '^bondhook:' "$OUT/$name.ifup")"
	record "$name.tracebacks" "$(grep -c 'Traceback' "$OUT/$name.ifup")"
}

# `ifup bond0` typed in a directory that holds a package named bondhook, with PYTHONPATH on it:
# records trojan.pwned (whether its code ran) and trojan.mac.
ifup_from_a_trojan_directory() {
	mkdir -p /tmp/trojan/bondhook
	echo 'open("/tmp/PWNED", "w").close()' >/tmp/trojan/bondhook/__init__.py
	: >/tmp/trojan/bondhook/ifupdown.py
	(cd /tmp/trojan && PYTHONPATH=/tmp/trojan ifup bond0 >"$OUT/trojan.ifup" 2>&1)
	record trojan.pwned "$([ -e /tmp/PWNED ] && echo yes || echo no)"
	record trojan.mac "$(mac_of bond0)"
}

# udev applies its MACAddressPolicy on the bond's add event; `udevadm settle` can return before
# udevd has even received that event. Wait (bounded) for the outcome itself: the address set
# from userspace (addr_assign_type 3). Records NAME.udev_assign: 3 when udev got there.
wait_udev_mac() {
	for _ in $(seq 100); do [ "$(assign_of "$2")" = 3 ] && break; sleep 0.1; done
	record "$1.udev_assign" "$(assign_of "$2")"
}

# A syslog daemon that hangs: it holds /dev/log but reads nothing, and its queue is full.
hang_syslog() {
	[ -S /dev/log ] || busybox syslogd -O "$OUT/syslog.log"
	sleep 0.5
	pkill -STOP -x syslogd
	/usr/bin/python3 -I -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect("/dev/log"); s.setblocking(False)
try:
    while True: s.send(b"<14>lab: filling the queue")
except BlockingIOError:
    pass'
}
unhang_syslog() { pkill -CONT -x syslogd; }

# NetworkManager on a real system bus, keyfile profiles, no auto-made "Wired connection N".
KEYFILES=/etc/NetworkManager/system-connections
start_nm() {
	mkdir -p /run/dbus /etc/NetworkManager/conf.d
	[ -S /run/dbus/system_bus_socket ] || dbus-daemon --system --fork
	[ -S /dev/log ] || busybox syslogd -O "$OUT/syslog.log"
	printf '[main]\nplugins=keyfile\nno-auto-default=*\n' >/etc/NetworkManager/conf.d/90-lab.conf
	NetworkManager --no-daemon --debug --log-level=INFO >>"$OUT/nm.log" 2>&1 &
	for _ in $(seq 60); do nmcli -t general status >/dev/null 2>&1 && return; sleep 0.5; done
	echo "NetworkManager did not start" >&2
}
stop_nm() {
	pkill -x NetworkManager
	for _ in $(seq 60); do pgrep -x NetworkManager >/dev/null || return; sleep 0.5; done
}
install_bondhook_nm() {
	install_bondhook_program
	mkdir -p $NM_PRE_UP
	install -m 755 "$BONDHOOK_ROOT/NetworkManager/dispatcher.d/pre-up.d/90-bondhook" $NM_PRE_UP/90-bondhook
	install -m 755 "$BONDHOOK_ROOT/NetworkManager/dispatcher.d/90-bondhook" $NM_EVENTS/90-bondhook
}
# Wait until NM says DEV is activated (or give up after 60 tries).
wait_active() {
	for _ in $(seq 60); do
		[ "$(nmcli -g GENERAL.STATE device show "$1" 2>/dev/null | cut -d' ' -f1)" = 100 ] && return
		sleep 0.5
	done
	echo "$1 did not activate" >&2
}
# Run bondhook's pre-up script by hand as NetworkManager's dispatcher does for profile PROFILE on
# device DEV (its UUID and keyfile in the environment); record NAME.rc, NAME.ms and NAME.lines
# (stderr lines), keep stderr in $OUT/NAME.err.
dispatch_by_hand() { # name dev profile
	uuid=$(keyfile_value "$KEYFILES/$3.nmconnection" connection uuid)
	start=$(date +%s%N)
	env CONNECTION_UUID="$uuid" CONNECTION_FILENAME="$KEYFILES/$3.nmconnection" \
		sh $NM_PRE_UP/90-bondhook "$2" pre-up 2>"$OUT/$1.err"
	record "$1.rc" "$?"
	record "$1.ms" "$(( ($(date +%s%N) - start) / 1000000 ))"
	record "$1.lines" "$(wc -l <"$OUT/$1.err")"
}
# A unit's ExecStart as systemd runs it (an empty environment, from /); words given after the
# unit file go between the program and its arguments (bondhook's -v).
run_unit_exec() { # unit-file [words added at the end...]: its ExecStart (ours: double quotes only)
	cmd=$(sed -n 's/^ExecStart=//p' "$1")
	shift
	(cd / && eval "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $cmd \"\$@\"")
}
# How many lines bondhook has logged to syslog so far about BOND.
syslog_lines() { grep -c "bondhook: $1" "$OUT/syslog.log"; }
keyfile_value() { # file section key
	awk -F= -v s="[$2]" -v k="$3" '$0==s{in_s=1;next} /^\[/{in_s=0} in_s && $1==k{print substr($0, length(k)+2)}' "$1"
}

# ifupdown2 (issue 21), results under LABEL: an opted-in 802.3ad bond0 over PORTS (a bond-slaves
# value) with vmbr0 over it and bond1 over C D, not opted in; `ifup -a`, three `ifreload -a`,
# everything down with the driver unloaded and `ifup -a` as at boot (each with `ip monitor link`
# recording), then `status` and the fix it prints for vmbr0, applied; all left up. `bondhook` is
# whichever the caller runs (work tree or package).
ifupdown2_scenario() { # LABEL PORTS C D
	label=$1
	step "$label: bond0 (802.3ad, opted in) with vmbr0 over it, bond1 not opted in: ifup -a"
	cat >/etc/network/interfaces <<EOT
auto lo
iface lo inet loopback

auto bond0
iface bond0 inet manual
	bond-slaves $2
	bond-mode 802.3ad
	bond-miimon 100
	bond-derive-mac yes

auto vmbr0
iface vmbr0 inet manual
	bridge-ports bond0
	bridge-stp off
	bridge-fd 0

auto bond1
iface bond1 inet manual
	bond-slaves $3 $4
	bond-mode active-backup
	bond-miimon 100
EOT
	monitor_links "$label-up"
	ifup -a >"$OUT/$label-up.log" 2>&1
	record "$label-up.rc" "$?"
	stop_monitor
	ifupdown2_macs "$label-up"
	step "$label: three reloads"
	monitor_links "$label-reload"
	for i in 1 2 3; do
		ifreload -a >"$OUT/$label-reload$i.log" 2>&1
		record "$label-reload$i.rc" "$?"
	done
	stop_monitor
	ifupdown2_macs "$label-reload"
	step "$label: everything down, the driver unloaded, ifup -a as at boot"
	ifdown -a >"$OUT/$label-down.log" 2>&1
	modprobe -r bonding
	monitor_links "$label-boot"
	ifup -a >"$OUT/$label-boot.log" 2>&1
	record "$label-boot.rc" "$?"
	stop_monitor
	ifupdown2_macs "$label-boot"
	step "$label: status, and the fix it prints for vmbr0 applied"
	bondhook status >"$OUT/$label-status.txt" 2>&1
	bondhook status --json >"$OUT/$label-status.json" 2>&1
	record "$label-status.rc" "$?"
	fix=$(grep -o "hwaddress [0-9a-f:]*" "$OUT/$label-status.txt" | head -1)
	record "$label-fix" "$fix"
	[ -z "$fix" ] || sed -i "s/^\tbridge-fd 0\$/\tbridge-fd 0\n\t$fix/" /etc/network/interfaces
	ifreload -a >"$OUT/$label-fixed.log" 2>&1
	record "$label-fixed.rc" "$?"
	ifupdown2_macs "$label-fixed"
	bondhook status --json >"$OUT/$label-fixed-status.json" 2>&1
}
# ifupdown2's glob for two ports named PREFIX<N> and PREFIX<N+1> (NICs in neighbouring PCI slots):
# `glob enp0s[4-5]`, which it expands in that order; the two names as they are otherwise.
ifupdown2_glob() { # FIRST SECOND
	number=${1##*[!0-9]}
	prefix=${1%"$number"}
	if [ -n "$number" ] && [ "$2" = "$prefix$((number + 1))" ]; then echo "glob $prefix[$number-$((number + 1))]"; else echo "$1 $2"; fi
}
ifupdown2_macs() { # NAME
	record "$1.bond0" "$(mac_of bond0)"
	record "$1.bond1" "$(mac_of bond1)"
	record "$1.vmbr0" "$(mac_of vmbr0)"
}

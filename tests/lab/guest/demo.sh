# The demo: one of two hosts cloned from one image (same machine-id, NICs of their own) on one
# L2 segment. Act 1 without bondhook, in both udev regimes; act 2 with it. After each act the
# host pings the other's IPv6 link-local address, which the kernel derives from the bond's MAC.
. "$(dirname "$0")/lib.sh"

SHARED=$(dirname "$OUT")
A=$(nic "$NIC_A")
B=$(nic "$NIC_B")
record nics "$A,$B"
echo "$CLONE_MACHINE_ID" >/etc/machine-id
restart_udevd
record booted 1

# Waiting costs: under TCG every fork takes a while, so a waiting guest naps with a builtin read
# on a pipe of its own, not sleep(1).
exec 9<> <(:)
nap() { read -rt "$1" -u 9 || :; }
# Both hosts reach a named point before either goes on (files in the shared directory).
meet() { # name [half-seconds to wait, 240 by default]
	touch "$SHARED/$DEMO_HOST.$1"
	for _ in $(seq "${2:-240}"); do [ -e "$SHARED/$DEMO_PEER.$1" ] && return; nap 0.5; done
	echo "peer never reached $1" >&2
}
# The EUI-64 link-local address the kernel gives an interface with MAC $1.
link_local() {
	set -- $(echo "$1" | tr ':' ' ')
	printf 'fe80::%x:%xff:fe%s:%s%s' $(( (0x$1 ^ 2) * 256 + 0x$2 )) $(( 0x$3 )) "$4" "$5" "$6"
}
stanza() { bond_stanza active-backup "$A $B" "bond-primary $A
	$1" "${2:-}"; }
# vmbr0 over bond0, as on KVM and Proxmox-style hosts: the host's address lives on the bridge.
bridge_stanza() { # extra vmbr0 option line
	stanza "bond-derive-mac yes" "iface vmbr0 inet manual
	bridge_ports bond0
	bridge_stp off
	bridge_fd 0
	$1"
}
# Twin evidence: both hosts check at the same moment, then status, all from one Python process
# (evidence.py). It starts with the act and loads bondhook while the bond comes up (under TCG the
# first start of Python in a boot takes over 30 s, later ones about 12), waits to be told to go,
# and meets the other host's: the two windows then start within a fraction of a second, and each
# sends its probes when its window begins and a second before it ends. The text view only where
# the README quotes it.
LISTEN=4
evidence_start() { # name [text]
	compiled_src
	rm -f "$OUT/$1.go"
	PYTHONPATH=$SRC /usr/bin/python3 "$(dirname "$0")/evidence.py" "$OUT" "$1" "$SHARED" "$DEMO_HOST" "$DEMO_PEER" \
		"$LISTEN" ${2:+text} >"$OUT/$1.evidence" 2>>"$OUT/$1.check.err" &
	evidence_pid=$!
}
evidence_go() { # name
	touch "$OUT/$1.go"
	wait "$evidence_pid"
	while IFS== read -r key value; do record "$1.$key" "$value"; done <"$OUT/$1.evidence"
}
# $SERIES checks in a row from each host in turn while the other stays quiet (it runs no bondhook
# and sends nothing of its own), both holding the image's static IPv4 address, as clones do: with
# one MAC on both, every check must find the twin, whichever host lost duplicate address detection;
# with derived MACs, none may. One Python process per series (see check_series.py).
series() { # act
	ip addr add 192.0.2.1/24 dev bond0
	for turn in host1 host2; do
		meet "$1.series.$turn"
		if [ "$DEMO_HOST" = "$turn" ]; then
			compiled_src
			PYTHONPATH=$SRC /usr/bin/python3 "$(dirname "$0")/check_series.py" "$SERIES" \
				>"$OUT/$1.series.json" 2>"$OUT/$1.series.err"
			record "$1.series_rc" "$?"
		fi
		meet "$1.series.$turn.done" 900
	done
	ip addr del 192.0.2.1/24 dev bond0
}
act() { # name [device that carries the host's address]: bring it up, exchange MACs, ping the peer, check
	name=$1
	dev=${2:-bond0}
	began=$(date +%s)
	step "act $name: starts"
	[ -n "${QUIET:-}" ] || evidence_start "$name" "${TEXT:-}"
	ifup bond0 >"$OUT/$name.ifup" 2>&1
	[ "$dev" = bond0 ] || ifup "$dev" >>"$OUT/$name.ifup" 2>&1
	udevadm settle
	[ "$dev" = bond0 ] || wait_udev_mac "$name.dev" "$dev"
	record "$name.up_seconds" "$(( $(date +%s) - began ))"
	mac=$(mac_of bond0)
	record "$name.mac" "$mac"
	record "$name.assign" "$(assign_of bond0)"
	record "$name.dev_mac" "$(mac_of "$dev")"
	[ -z "${VLAN:-}" ] || vlan_on_bond "$name"
	mac_of "$dev" >"$SHARED/$DEMO_HOST.$name.mac"
	step "act $name: up"
	meet "$name.up"
	step "act $name: both up"
	wait_dad "$dev"
	meet "$name.dad"
	peer=$(cat "$SHARED/$DEMO_PEER.$name.mac")
	record "$name.peer_mac" "$peer"
	record "$name.ll_state" "$(ip -6 -o addr show dev "$dev" scope link | grep -o 'dadfailed' | head -1)"
	ping -6 -c 3 -i 0.3 -W 1 "$(link_local "$peer")%$dev" >"$OUT/$name.ping" 2>&1
	record "$name.ping_rc" "$?"
	record "$name.ping" "$(grep -o '[0-9]* received' "$OUT/$name.ping" | head -1 || true)"
	record "$name.dmesg_dup" "$(dmesg | grep -c 'duplicate address')"
	step "act $name: pinged"
	[ -n "${QUIET:-}" ] || evidence_go "$name"
	step "act $name: evidence"
	[ -z "${SERIES:-}" ] || [ -z "${IN_SERIES:-}" ] || series "$name"
	record "$name.seconds" "$(( $(date +%s) - began ))"
	meet "$name.done"
	if [ -n "${LAST:-}" ]; then # the guest powers off next
		return
	elif [ -n "${KEEP:-}" ]; then # the next act builds on this bond: take down only what sits on it
		ip link del bond0.100 2>/dev/null
		[ "$dev" = bond0 ] || { ifdown "$dev" >/dev/null 2>&1; ip link del "$dev" 2>/dev/null; }
	else # without ifdown's hooks (seconds each under TCG): what they would undo, undone directly
		ip link del bond0
		rm -f /run/network/ifstate*
		modprobe -r bonding
		ip link set "$A" down
		ip link set "$B" down
		udevadm settle
	fi
	dmesg -C
	step "act $name: taken down"
}
# IPv6 duplicate address detection on $1 over: no address left tentative but for a failed one (at most 3 s).
wait_dad() {
	for _ in $(seq 30); do
		ip -6 -o addr show dev "$1" tentative | grep -qv dadfailed || return 0
		nap 0.1
	done
}
# A VLAN on the bond: it carries the bond's MAC.
vlan_on_bond() {
	ip link add link bond0 name bond0.100 type vlan id 100 && ip link set bond0.100 up
	record "$1.vlan_mac" "$(mac_of bond0.100)"
}

# Act 1a: the reporter's machines: no ifenslave .link, so udev's persistent policy hashes the
# machine-id into the bond's MAC. Whether udev or the first port gets there first is a race
# (systemd's modprobe.d makes no bond0 at module load, so ifenslave creates it and enslaves at
# once); the report's outcome is udev's, so the bond is made first and udev's MAC waited for.
mask_bonding_link
stanza ""
modprobe bonding
ip link add bond0 type bond
wait_udev_mac persistent bond0
IN_SERIES=1 act persistent

# Act 1b: Debian's ifenslave .link (MACAddressPolicy=none): the bond takes its first port's MAC.
rm -f /etc/systemd/network/98-net-bonding.link
udevadm control --reload
QUIET=1 act stolen

# Act 2: bondhook installed, bond-derive-mac yes; a VLAN on the bond.
install_bondhook
stanza "bond-derive-mac yes"
IN_SERIES=1 VLAN=1 KEEP=1 act bondhook

# Act 3: vmbr0 over the same bond. Without bridge_hw udev hashes the machine-id into the bridge's
# MAC too; with `bridge_hw bond0` bridge-utils gives the bridge the bond's derived MAC.
bridge_stanza ""
TEXT=1 KEEP=1 act bridge vmbr0
bridge_stanza "bridge_hw bond0"
LAST=1 act bridge_hw vmbr0
record done 1

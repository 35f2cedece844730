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

# Both hosts reach a named point before either goes on (files in the shared directory).
meet() {
	touch "$SHARED/$DEMO_HOST.$1"
	for _ in $(seq 600); do [ -e "$SHARED/$DEMO_PEER.$1" ] && return; sleep 0.2; done
	echo "peer never reached $1" >&2
}
# The EUI-64 link-local address the kernel gives an interface with MAC $1.
link_local() {
	set -- $(echo "$1" | tr ':' ' ')
	printf 'fe80::%x:%xff:fe%s:%s%s' $(( (0x$1 ^ 2) * 256 + 0x$2 )) $(( 0x$3 )) "$4" "$5" "$6"
}
stanza() { bond_stanza active-backup "$A $B" "bond-primary $A
	$1"; }
act() { # name: bring bond0 up, exchange MACs, ping the peer, record it all
	name=$1
	ifup bond0 >"$OUT/$name.ifup" 2>&1
	udevadm settle
	mac=$(mac_of bond0)
	record "$name.mac" "$mac"
	record "$name.assign" "$(assign_of bond0)"
	echo "$mac" >"$SHARED/$DEMO_HOST.$name.mac"
	meet "$name.up"
	sleep 3 # IPv6 duplicate address detection
	peer=$(cat "$SHARED/$DEMO_PEER.$name.mac")
	record "$name.peer_mac" "$peer"
	record "$name.ll_state" "$(ip -6 -o addr show dev bond0 scope link | grep -o 'dadfailed' | head -1)"
	ping -6 -c 3 -i 0.3 -W 1 "$(link_local "$peer")%bond0" >"$OUT/$name.ping" 2>&1
	record "$name.ping_rc" "$?"
	record "$name.ping" "$(grep -o '[0-9]* received' "$OUT/$name.ping" | head -1 || true)"
	record "$name.dmesg_dup" "$(dmesg | grep -c 'duplicate address')"
	meet "$name.done"
	ifdown bond0 >/dev/null 2>&1
	reset_net "$A" "$B"
	dmesg -C
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
act persistent

# Act 1b: Debian's ifenslave .link (MACAddressPolicy=none): the bond takes its first port's MAC.
rm -f /etc/systemd/network/98-net-bonding.link
udevadm control --reload
act stolen

# Act 2: bondhook installed, bond-derive-mac yes.
install_bondhook
stanza "bond-derive-mac yes"
act bondhook
record done 1

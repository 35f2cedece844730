# The first part of the clones' boots (networkd.sh sources it, with lib.sh, $A and $B): one of
# two "cloned" hosts (same /etc/machine-id, NICs of their own) in the reporter's udev regime: no
# ifenslave .link, so udev's persistent policy hashes the machine-id and the bond's name into the
# bond's MAC. ifupdown brings the bonds up; the part ends with no bond, no stanza, no hook and
# ifenslave's .link back, for what the boot does next. Its records start with "udev.".
# The hooks' /usr/bin/python3 creates bonds with pyroute2: Debian's 0.7.2, or, where the host
# passes PYROUTE2_PYPI (a PyPI pyroute2 package directory), that one, put first on its path.
if [ -n "${PYROUTE2_PYPI:-}" ]; then
	mkdir -p /opt/pyroute2-pypi
	ln -s "$PYROUTE2_PYPI" /opt/pyroute2-pypi/pyroute2
	echo 'import sys; sys.path.insert(0, "/opt/pyroute2-pypi")' >/usr/lib/python3/dist-packages/00-pyroute2-pypi.pth
fi
record udev.pyroute2 "$(/usr/bin/python3 -I -c 'import pyroute2; print(pyroute2.__file__)')"

# Cloned from one image: the same machine-id; udevd restarted so that it reads this one.
echo "$CLONE_MACHINE_ID" >/etc/machine-id
restart_udevd
mask_bonding_link

fresh() { # each sequence starts with the bonding module freshly reloaded
	ip link del bond0 2>/dev/null
	modprobe -r bonding
	modprobe bonding max_bonds=0
	ip link set "$A" down
	ip link set "$B" down
}
finish() { # name: record what the sequence gave, then what bondhook makes of it
	udevadm settle
	record "udev.$1.before" "$(mac_of bond0)"
	bondhook apply bond0 >>"$OUT/sequences.txt" 2>&1
	record "udev.$1.apply_rc" "$?"
	udevadm trigger --action=add --settle /sys/class/net/bond0
	record "udev.$1.after" "$(mac_of bond0)"
}

step "sequence 1: create, read the address with no ports (then enslave for bondhook to act)"
fresh
echo +bond0 >/sys/class/net/bonding_masters
record udev.seq1.empty "$(mac_of bond0)"
udevadm settle
record udev.seq1.empty_settled "$(mac_of bond0)"
echo "+$A" >/sys/class/net/bond0/bonding/slaves
finish seq1

step "sequence 2: create, mode 6, enslave at once"
fresh
echo +bond0 >/sys/class/net/bonding_masters
echo 6 >/sys/class/net/bond0/bonding/mode
echo "+$A" >/sys/class/net/bond0/bonding/slaves
record udev.seq2.immediate "$(mac_of bond0)"
finish seq2

step "sequence 3: create, read the address first, then mode 6 and enslave"
fresh
echo +bond0 >/sys/class/net/bonding_masters
cat /sys/class/net/bond0/address >/dev/null
echo 6 >/sys/class/net/bond0/bonding/mode
echo "+$A" >/sys/class/net/bond0/bonding/slaves
finish seq3

step "sequence 4: create, mode 6, wait 1 s, enslave"
fresh
echo +bond0 >/sys/class/net/bonding_masters
echo 6 >/sys/class/net/bond0/bonding/mode
sleep 1
# On hardware 1 s is ample for udev to set its hashed MAC; under TCG on a busy host it is not
# (CI saw the port's MAC here), so wait for udev's outcome, which is what the 1 s stood for.
wait_udev_mac udev.seq4 bond0
echo "+$A" >/sys/class/net/bond0/bonding/slaves
finish seq4

stanza() { bond_stanza active-backup "$A $B" "$1"; }

step "clone, without bondhook: bond0 made first, udev's MAC waited for (the report's outcome), then ifup"
reset_net "$A" "$B"
stanza ""
modprobe bonding
ip link add bond0 type bond
wait_udev_mac udev.without bond0
ifup_and_record udev.without bond0
record udev.without.mac "$(mac_of bond0)"
record udev.without.assign "$(assign_of bond0)"

step "clone, with bondhook: the same boot order"
reset_net "$A" "$B"
install_bondhook
stanza "bond-derive-mac yes"
modprobe bonding
ip link add bond0 type bond
wait_udev_mac udev.with bond0
ifup_and_record udev.with bond0
record udev.with.mac "$(mac_of bond0)"

step "with bondhook, the bond created by the hook (module not loaded yet)"
reset_net "$A" "$B"
ifup_and_record udev.created bond0
record udev.created.mac "$(mac_of bond0)"
record udev.created.assign "$(assign_of bond0)"
udevadm trigger --action=add --settle /sys/class/net/bond0
record udev.created.retriggered "$(mac_of bond0)"
bondhook status --json >"$OUT/udev-status.json" 2>&1

reset_net "$A" "$B"
uninstall_bondhook
rm -f /etc/network/interfaces /etc/systemd/network/98-net-bonding.link
udevadm control --reload

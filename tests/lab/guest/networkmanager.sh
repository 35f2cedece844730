# Lab boot: NetworkManager 1.42 on a real system D-Bus with bondhook's dispatcher script.
# Boot "first": profiles made with nmcli, first activation after install, NM restart, and the
# keyfiles saved for boot "replaced", which has a different NIC in the first port's slot.
. "$(dirname "$0")/lib.sh"

A=$(nic "$NIC_A")
B=$(nic 52:54:00:c8:76:0a)
C=$(nic 52:54:00:c8:76:0b)
D=$(nic 52:54:00:c8:76:0c)
record nics "$A,$B,$C,$D"
modprobe bonding max_bonds=0

if [ "$LAB_BOOT" = first ]; then
	start_nm
	# bond0: two ports, nothing set by hand. bond1: a cloned MAC set by a person. bond2: opted out.
	# No autoconnect: each bond's first activation is the explicit `nmcli con up` after install.
	for bond in bond0 bond1 bond2; do
		nmcli con add type bond ifname $bond con-name $bond bond.options mode=active-backup,miimon=100 \
			ipv4.method disabled ipv6.method ignore connection.autoconnect no connection.autoconnect-slaves yes \
			>/dev/null
	done
	nmcli con add type ethernet ifname "$A" con-name bond0-port-a master bond0 slave-type bond \
		connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$B" con-name bond0-port-b master bond0 slave-type bond \
		connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$C" con-name bond1-port master bond1 slave-type bond \
		connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$D" con-name bond2-port master bond2 slave-type bond \
		connection.autoconnect no >/dev/null
	nmcli con mod bond1 ethernet.cloned-mac-address 02:aa:bb:cc:dd:ee
	printf '\n[user]\nbondhook.derive-mac=no\n' >>$KEYFILES/bond2.nmconnection
	nmcli con load $KEYFILES/bond2.nmconnection

	step "install bondhook, then first activations"
	install_bondhook_nm
	for bond in bond0 bond1 bond2; do
		nmcli con up $bond >>"$OUT/activate.txt" 2>&1
		record "$bond.up_rc" "$?"
		wait_active $bond
		record "$bond.first" "$(mac_of $bond)"
	done
	record bond0.slaves "$(cat /sys/class/net/bond0/bonding/slaves)"
	record bond0.keyfile_mac "$(keyfile_value $KEYFILES/bond0.nmconnection ethernet cloned-mac-address)"
	record bond0.keyfile_owned "$(keyfile_value $KEYFILES/bond0.nmconnection user bondhook.mac)"
	record bond0.keyfile_source "$(keyfile_value $KEYFILES/bond0.nmconnection user bondhook.source)"
	record bond1.keyfile_mac "$(keyfile_value $KEYFILES/bond1.nmconnection ethernet cloned-mac-address)"
	record bond1.keyfile_owned "$(keyfile_value $KEYFILES/bond1.nmconnection user bondhook.mac)"
	record bond2.keyfile_mac "$(keyfile_value $KEYFILES/bond2.nmconnection ethernet cloned-mac-address)"
	bondhook status --json >"$OUT/status.json" 2>"$OUT/status.err"
	bondhook nm-sync --dry-run >"$OUT/nm-sync-dry.txt" 2>&1

	step "reboot-style restart of NetworkManager: bonds gone, profiles autoconnect through a port"
	nmcli con mod bond0 connection.autoconnect yes
	nmcli con mod bond0-port-a connection.autoconnect yes
	nmcli con mod bond0-port-b connection.autoconnect yes
	stop_nm
	ip link del bond0; ip link del bond1; ip link del bond2
	start_nm
	wait_active bond0
	record bond0.restart "$(mac_of bond0)"
	mkdir -p "$OUT/keyfiles"
	cp $KEYFILES/*.nmconnection "$OUT/keyfiles/"
else
	step "the source NIC was replaced: same slot, another permanent MAC; profiles from boot 1"
	install_bondhook_nm
	cp "$LAB_KEYFILES"/*.nmconnection $KEYFILES/
	chmod 600 $KEYFILES/*.nmconnection
	start_nm
	wait_active bond0
	record bond0.replaced "$(mac_of bond0)"
	record bond0.keyfile_mac "$(keyfile_value $KEYFILES/bond0.nmconnection ethernet cloned-mac-address)"
	record bond0.keyfile_source "$(keyfile_value $KEYFILES/bond0.nmconnection user bondhook.source)"
fi
cp "$OUT/nm.log" "$OUT/nm-$LAB_BOOT.log" 2>/dev/null
record done 1

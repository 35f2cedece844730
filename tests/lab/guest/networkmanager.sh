# Lab boot: the release's NetworkManager on a real system D-Bus with bondhook's dispatcher script.
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
	# What NetworkManager hands pre-up scripts (CONNECTION_FILENAME is the steady path's key).
	printf '#!/bin/sh\nenv >"%s/env-$1.txt"\n' "$OUT" >/etc/NetworkManager/dispatcher.d/pre-up.d/00-lab-env
	chmod 755 /etc/NetworkManager/dispatcher.d/pre-up.d/00-lab-env
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
	bondhook status >"$OUT/status.txt" 2>&1
	record status.text_rc "$?"
	bondhook apply bond1 >"$OUT/apply-held.txt" 2>&1
	record apply_held.rc "$?"
	record apply_held.mac "$(mac_of bond1)"
	bondhook nm-sync --dry-run >"$OUT/nm-sync-dry.txt" 2>&1
	record dispatcher.filename "$(sed -n 's/^CONNECTION_FILENAME=//p' "$OUT/env-bond0.txt")"

	step "steady state: the pre-up script as the dispatcher runs it, on NM's own keyfiles"
	PYTHONPATH=$SRC /usr/bin/python3 "$BONDHOOK_ROOT/tests/lab/guest/steady_agrees.py" \
		>"$OUT/steady-agrees.txt" 2>&1
	dispatch_by_hand steady bond0 bond0
	start=$(date +%s%N); /usr/bin/python3 -I -c pass; record python_pass.ms "$(( ($(date +%s%N) - start) / 1000000 ))"
	env -i CONNECTION_UUID="$(keyfile_value $KEYFILES/bond0.nmconnection connection uuid)" \
		CONNECTION_FILENAME=$KEYFILES/bond0.nmconnection /usr/bin/python3 -I -c '
import sys
at_start = set(sys.modules)
from bondhook.nm import dispatcher_io
sys.argv = ["dispatcher", "bond0", "pre-up"]
dispatcher_io.main()
heavy = ("dbus_next", "pyroute2", "asyncio", "logging", "dataclasses")
print(" ".join(sorted(m for m in set(sys.modules) - at_start if m.split(".")[0] in heavy)) or "none")' \
		>"$OUT/steady-modules.txt" 2>&1

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

	step "bonds brought up through a port profile: does NetworkManager apply the cloned MAC itself?"
	# bond1 carries a person's cloned MAC, which bondhook leaves alone: its MAC shows what
	# NetworkManager does. bond0's lines show whether bondhook still had to set the device.
	nmcli con down bond0 >/dev/null 2>&1
	ip link del bond0 2>/dev/null
	before=$(syslog_lines bond0)
	for port in bond0-port-a bond1-port; do
		nmcli con up $port >>"$OUT/through-port.txt" 2>&1
	done
	sleep 3 # autoconnect-ports activates the ports anew (nmcli reports the first request interrupted)
	for bond in bond0 bond1; do
		wait_active $bond
		record "$bond.through_port_state" "$(nmcli -g GENERAL.STATE device show $bond 2>&1 | cut -d' ' -f1)"
		record "$bond.through_port" "$(mac_of $bond)"
	done
	record bond0.through_port_lines "$(( $(syslog_lines bond0) - before ))"
	record bond0.through_port_slaves "$(cat /sys/class/net/bond0/bonding/slaves)"
	path=$(busctl call org.freedesktop.NetworkManager /org/freedesktop/NetworkManager/Settings \
		org.freedesktop.NetworkManager.Settings GetConnectionByUuid s \
		"$(keyfile_value $KEYFILES/bond0.nmconnection connection uuid)" | cut -d'"' -f2)
	record version_id "$(busctl get-property org.freedesktop.NetworkManager "$path" \
		org.freedesktop.NetworkManager.Settings.Connection VersionId 2>&1 | head -1)"
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

	step "Debian's 01-ifupdown and ifenslave, a bond brought up through its port profile"
	# The port first carries a profile of its own; `nmcli con up` of the port profile takes it
	# over, and 01-ifupdown runs ifenslave's post-down for the port's old profile.
	record s17.ifupdown_script "$([ -x /etc/NetworkManager/dispatcher.d/01-ifupdown ] && echo present)"
	nmcli con add type bond ifname bond3 con-name bond3 bond.options mode=active-backup,miimon=100 \
		ipv4.method disabled ipv6.method ignore connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$D" con-name bond3-port master bond3 slave-type bond \
		connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$D" con-name wired-d ipv4.method disabled ipv6.method ignore \
		connection.autoconnect no >/dev/null
	bondhook nm-sync >"$OUT/s17-sync.txt" 2>&1
	through_port() { # name: the port's own profile up, then the bond through its port profile
		before=$(syslog_lines bond3)
		nmcli con up wired-d >/dev/null 2>&1
		wait_active "$D"
		sleep 2
		nmcli con up bond3-port >"$OUT/s17-$1.txt" 2>&1
		record "s17.$1.rc" "$?"
		sleep 6 # the dispatcher's queue: every event of this activation has run
		record "s17.$1.slaves" "$(cat /sys/class/net/bond3/bonding/slaves 2>/dev/null)"
		record "s17.$1.mac" "$(mac_of bond3)"
		record "s17.$1.lines" "$(( $(syslog_lines bond3) - before ))"
		nmcli con down bond3 >/dev/null 2>&1
		sleep 2
	}
	mv /usr/bin/bondhook /usr/bin/bondhook.off # the pre-up script goes quiet, as after apt remove
	through_port without
	mv /usr/bin/bondhook.off /usr/bin/bondhook
	through_port with

	step "a bridge over bond0: its MAC, and the fix status gives for its profile"
	# Putting bond0 under br0 re-activates it, and its `down` event would run ifenslave's post-down
	# through 01-ifupdown (bookworm), which frees its ports and deletes it (`ip link del`): NM then
	# makes it again, and in one CI run it ended with the kernel's random MAC (R31, as in s17,
	# bondhook's or not). From here on the host is one without ifenslave's hooks, to measure bridges.
	[ ! -e /etc/network/if-post-down.d/ifenslave ] || chmod -x /etc/network/if-post-down.d/ifenslave
	nmcli con add type bridge ifname br0 con-name br0 bridge.stp no ipv4.method disabled ipv6.method ignore \
		connection.autoconnect no connection.autoconnect-slaves yes >/dev/null
	nmcli con mod bond0 connection.master br0 connection.slave-type bridge
	nmcli con up br0 >"$OUT/bridge-up.txt" 2>&1
	record bridge.up_rc "$?"
	wait_active br0
	wait_active bond0
	record bridge.br0 "$(mac_of br0)"
	record bridge.bond0 "$(mac_of bond0)"
	bondhook status --json >"$OUT/status-bridge.json" 2>&1
	fix=$(grep -o '"fix": "nmcli connection modify [^"]*' "$OUT/status-bridge.json")
	record bridge.fix "${fix#*\"fix\": \"}"
	nmcli con mod br0 ethernet.cloned-mac-address "${fix##* }"
	nmcli con up br0 >>"$OUT/bridge-up.txt" 2>&1
	record bridge_fixed.up_rc "$?"
	wait_active br0
	wait_active bond0
	record bridge_fixed.br0 "$(mac_of br0)"
	record bridge_fixed.bond0 "$(mac_of bond0)"
	bondhook status --json >"$OUT/status-bridge-fixed.json" 2>&1

	step "faults: bond4's profile is not written yet, so its pre-up must ask NetworkManager"
	nmcli con add type bond ifname bond4 con-name bond4 bond.options mode=active-backup,miimon=100 \
		ipv4.method disabled ipv6.method ignore connection.autoconnect no >/dev/null
	nmcli con add type ethernet ifname "$C" con-name bond4-port master bond4 slave-type bond \
		connection.autoconnect no >/dev/null
	hooks=/etc/NetworkManager/dispatcher.d/pre-up.d
	printf '#!/bin/sh\n[ "$1" = bond4 ] && date +%%s%%N >"%s/bond4.start"\nexit 0\n' "$OUT" >$hooks/89-lab-start
	printf '#!/bin/sh\n[ "$1" = bond4 ] && date +%%s%%N >"%s/bond4.end"\nexit 0\n' "$OUT" >$hooks/91-lab-end
	# NetworkManager stops during bond4's activation, after its dispatcher request was sent and
	# before bondhook's script runs (ordered by name; the script waits until NM is gone).
	printf '#!/bin/sh\n[ "$1" = bond4 ] || exit 0\npkill -x NetworkManager\n' >$hooks/50-lab-stop-nm
	printf 'while pgrep -x NetworkManager >/dev/null; do sleep 0.1; done\n' >>$hooks/50-lab-stop-nm
	chmod 755 $hooks/89-lab-start $hooks/91-lab-end $hooks/50-lab-stop-nm
	nmcli con up bond4 >"$OUT/nm-stopped.txt" 2>&1 &
	for _ in $(seq 600); do [ -e "$OUT/bond4.end" ] && break; sleep 0.2; done
	record nm_stopped.ms "$(( ($(cat "$OUT/bond4.end") - $(cat "$OUT/bond4.start")) / 1000000 ))"
	sleep 1
	record nm_stopped.line "$(grep 'bondhook: bond4' "$OUT/syslog.log" | sed 's/.*bondhook: //')"
	rm -f $hooks/50-lab-stop-nm
	# The pre-up script by hand, as the dispatcher runs it, with parts of the system gone.
	ip link add bond4 type bond 2>/dev/null
	hang_syslog
	dispatch_by_hand hung_syslog bond4 bond4
	unhang_syslog
	pkill -x syslogd
	rm -f /dev/log
	dispatch_by_hand no_syslog bond4 bond4
	pkill -x dbus-daemon
	sleep 0.5
	dispatch_by_hand dbus_stopped bond4 bond4
	dispatch_by_hand dbus_stopped_steady bond0 bond0
fi
cp "$OUT/nm.log" "$OUT/nm-$LAB_BOOT.log" 2>/dev/null
record done 1

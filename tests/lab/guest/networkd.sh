# Lab boot: one of two "cloned" hosts (same /etc/machine-id, NICs of their own), first in the
# reporter's udev regime with ifupdown's bonds (udev_persistent.sh), then with bonds
# systemd-networkd creates: bond0 from .netdev/.network files, bond1 with a person's MACAddress=,
# bond2 from netplan YAML (networkd renderer). systemd is not PID 1 here: each "boot" runs the
# package unit's own ExecStart, then starts networkd from scratch (no bond left over), which is
# the order the unit's Before=systemd-networkd.service gives at a real boot. Both clones run the
# common part; LAB_ROLE=edges then runs the edge cases, LAB_ROLE=netplan-nm netplan with the
# NetworkManager renderer after a boot with systemd as PID 1 (systemd_boot.sh; the split keeps
# each boot short).
. "$(dirname "$0")/lib.sh"

A=$(nic "$NIC_A")
B=$(nic "$NIC_B")
C=$(nic "$NIC_C")
D=$(nic "$NIC_D")
E=$(nic "$NIC_E")
record nics "$A,$B,$C,$D,$E"
. "$(dirname "$0")/udev_persistent.sh" # first, the field report's regime with ifupdown's bonds
modprobe bonding max_bonds=0
echo "$CLONE_MACHINE_ID" >/etc/machine-id
record machine_id "$(cat /etc/machine-id)"
install_bondhook_program
UNIT=$BONDHOOK_ROOT/systemd/bondhook-networkd.service
NETWORKD=/usr/lib/systemd/systemd-networkd
CONF=/etc/systemd/network
mkdir -p $CONF /etc/netplan

netdev() { # file, bond, extra [NetDev] line
	printf '[NetDev]\nName=%s\nKind=bond\n%s\n[Bond]\nMode=active-backup\nMIIMonitorSec=100ms\n' "$2" "${3:-}" >"$CONF/$1"
}
port() { # file, match line, bond
	printf '# a port of %s\n[Match]\n%s\n\n[Network]\nBond=%s\nLinkLocalAddressing=no\n' "$3" "$2" "$3" >"$CONF/$1"
}
netdev 25-bond0.netdev bond0
port 30-bond0-b.network "Name=$B" bond0
port 30-bond0-a.network "Name=$A" bond0
# br0 over bond0, as on KVM hosts: networkd makes the bridge's MAC as it makes a bond's.
printf '[NetDev]\nName=br0\nKind=bridge\n' >"$CONF/25-br0.netdev"
printf '[Match]\nName=bond0\n\n[Network]\nBridge=br0\nLinkLocalAddressing=no\n' >"$CONF/35-bond0-bridge.network"
netdev 25-bond1.netdev bond1 "MACAddress=02:aa:bb:cc:dd:01"
port 30-bond1.network "PermanentMACAddress=$NIC_C" bond1
# An address of its own keeps IPv4 link-local out of the lab: netplan 0.106 renders a bond without
# addresses for NetworkManager as ipv4.method=link-local, which failed and was retried in a loop
# in an early bookworm run.
cat >/etc/netplan/60-bond2.yaml <<EOT
network:
  version: 2
  renderer: networkd
  ethernets:
    $D: {}
  bonds:
    bond2:
      interfaces: [$D]
      addresses: [192.0.2.2/24]
      parameters:
        mode: active-backup
        mii-monitor-interval: 100
EOT
chmod 600 /etc/netplan/60-bond2.yaml
netplan generate >"$OUT/netplan.txt" 2>&1
record netplan.netdev "$(ls /run/systemd/network/*bond2.netdev 2>&1)"

start_networkd() { # starts networkd and waits (bounded) for every bond to have its ports
	$NETWORKD >>"$OUT/networkd.log" 2>&1 &
	for _ in $(seq 100); do
		[ -n "$(cat /sys/class/net/bond0/bonding/slaves 2>/dev/null)" ] &&
			[ -n "$(cat /sys/class/net/bond1/bonding/slaves 2>/dev/null)" ] &&
			[ -n "$(cat /sys/class/net/bond2/bonding/slaves 2>/dev/null)" ] && return
		sleep 0.2
	done
	echo "networkd did not make every bond" >&2
}
stop_networkd() { # and delete what it made: the next start is a boot from scratch
	pkill -x systemd-network # the process name, cut to 15 characters
	for _ in $(seq 200); do pgrep -x systemd-network >/dev/null || break; sleep 0.1; done
	pgrep -x systemd-network >/dev/null && echo "networkd did not stop" >&2
	for dev in br0 bond0 bond1 bond2 bond3; do ip link del $dev 2>/dev/null; done
	for nic in "$A" "$B" "$C" "$D" "$E"; do ip link set "$nic" down 2>/dev/null; done
}
boot_unit() { # name [-v]: the unit's ExecStart as systemd runs it
	name=$1
	shift
	start=$(date +%s%N)
	run_unit_exec "$UNIT" "$@" >"$OUT/$name.txt" 2>&1
	record "$name.rc" "$?"
	record "$name.ms" "$(( ($(date +%s%N) - start) / 1000000 ))"
	record "$name.lines" "$(grep -c '^bondhook:' "$OUT/$name.txt")"
}
macs() { # name
	for dev in bond0 bond1 bond2 br0; do record "$1.$dev" "$(mac_of $dev)"; done
}

step "without bondhook: networkd makes the bonds"
start_networkd
macs without
stop_networkd

step "with bondhook: the unit, then networkd"
record unit.exec "$(sed -n 's/^ExecStart=//p' "$UNIT")"
boot_unit with
start_networkd
macs with
record with.bond0_slaves "$(cat /sys/class/net/bond0/bonding/slaves)"
record dropin.bond0 "$(cat $CONF/25-bond0.netdev.d/90-bondhook.conf 2>&1 | tr '\n' '|')"
record dropin.bond1 "$(ls $CONF/25-bond1.netdev.d 2>&1)"
record dropin.bond2 "$(sed -n 's/^MACAddress=//p' $CONF/10-netplan-bond2.netdev.d/90-bondhook.conf 2>&1)"
bondhook status >"$OUT/status.txt" 2>&1
bondhook status --json >"$OUT/status.json" 2>"$OUT/status.err"
stop_networkd

step "the next boot: nothing changed, nothing said"
boot_unit steady
start_networkd
macs steady
stop_networkd

step "br0's fix as status gives it: MACAddress= in the bridge's .netdev (here a drop-in of the person's)"
fix=$(grep -o '"fix": "set MACAddress=[0-9a-f:]* in \[NetDev\] of [^"]*' "$OUT/status.json")
record bridge.fix "${fix#*\"fix\": \"}"
mkdir -p $CONF/25-br0.netdev.d
printf '[NetDev]\nMACAddress=%s\n' "$(echo "$fix" | sed 's/.*MACAddress=\([0-9a-f:]*\).*/\1/')" >$CONF/25-br0.netdev.d/50-mine.conf
boot_unit bridge_fixed
start_networkd
macs bridge_fixed
bondhook status --json >"$OUT/status-bridge-fixed.json" 2>&1
stop_networkd
rm -r $CONF/25-br0.netdev.d

if [ "$LAB_ROLE" = edges ]; then
step "a person's drop-in with MACAddress= for bond0, then their opt-out"
mkdir -p $CONF/25-bond0.netdev.d
printf '[NetDev]\nMACAddress=02:aa:bb:cc:dd:00\n' >$CONF/25-bond0.netdev.d/50-mine.conf
boot_unit person
record person.dropin "$(ls $CONF/25-bond0.netdev.d)"
start_networkd
record person.bond0 "$(mac_of bond0)"
stop_networkd
rm $CONF/25-bond0.netdev.d/50-mine.conf
boot_unit back
printf '[X-Bondhook]\nDeriveMAC=no\n' >$CONF/25-bond0.netdev.d/50-mine.conf
boot_unit optout
record optout.dropin "$(ls $CONF/25-bond0.netdev.d)"
rm $CONF/25-bond0.netdev.d/50-mine.conf
boot_unit back_again

step "a .network first in order on a key bondhook cannot evaluate (Driver=): one line, nothing changed"
before=$(cat $CONF/*.netdev.d/90-bondhook.conf | md5sum)
printf '[Match]\nDriver=virtio_net\n\n[Network]\nDHCP=yes\n' >$CONF/05-virtio.network
boot_unit unsure
record unsure.unchanged "$([ "$(cat $CONF/*.netdev.d/90-bondhook.conf | md5sum)" = "$before" ] && echo yes)"
rm $CONF/05-virtio.network

step "a port's NIC missing: the unit waits at most its bound"
netdev 25-bond3.netdev bond3
port 30-bond3.network "Name=ghost0" bond3
boot_unit missing -v
record missing.waited "$(sed -n 's/.*waited \([0-9.]*\) s for udev; not seen: ghost0$/\1/p' "$OUT/missing.txt")"
rm $CONF/25-bond3.netdev $CONF/30-bond3.network

step "the source NIC replaced: another NIC takes bond0's first port's name"
ip link set "$A" name gone0
ip link set "$E" name "$A"
udevadm settle
boot_unit replaced
start_networkd
record replaced.bond0 "$(mac_of bond0)"
stop_networkd

step "removal: networkd-release takes out bondhook's drop-ins only"
printf '[NetDev]\nDescription=mine\n' >$CONF/25-bond0.netdev.d/50-mine.conf
bondhook networkd-release >"$OUT/release.txt" 2>&1
record release.rc "$?"
record release.left "$(find $CONF -name '*.conf' | sort | tr '\n' ' ')"
fi

if [ "$LAB_ROLE" = netplan-nm ]; then
	. "$(dirname "$0")/systemd_boot.sh"
	step "netplan with the NetworkManager renderer: NetworkManager's path applies"
	rm -f /run/systemd/network/10-netplan-*
	sed -i 's/renderer: networkd/renderer: NetworkManager/' /etc/netplan/60-bond2.yaml
	netplan generate >>"$OUT/netplan.txt" 2>&1
	record nm_netplan.profiles "$(ls /run/NetworkManager/system-connections/ | tr '\n' ' ')"
	install_bondhook_nm
	start_nm
	wait_active bond2
	record nm_netplan.bond2 "$(mac_of bond2)"
	record nm_netplan.etc "$(ls $KEYFILES | tr '\n' ' ')"
	record nm_netplan.run_mac "$(keyfile_value /run/NetworkManager/system-connections/netplan-bond2.nmconnection \
		ethernet cloned-mac-address)"
	bondhook status >"$OUT/status-nm.txt" 2>&1
fi
record done 1

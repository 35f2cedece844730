# Lab boot: ifupdown + ifenslave + bondhook's pre-up hook, Debian's default udev regime
# (ifenslave's 98-net-bonding.link present). Each scenario records its outcome for the host.
. "$(dirname "$0")/lib.sh"

four_nics
install_bondhook

# Scenario: one bond through the common path, then an ifdown/ifup cycle, per mode.
for mode in active-backup 802.3ad balance-alb; do
	step "mode $mode"
	reset_net "$A" "$B" "$C"
	bond_stanza "$mode" "$A $B" "bond-derive-mac yes" "
iface bond0.100 inet manual
	vlan-raw-device bond0"
	ifup_and_record "$mode" bond0
	ifup bond0.100 >>"$OUT/$mode.ifup" 2>&1
	record "$mode.mac" "$(mac_of bond0)"
	record "$mode.assign" "$(assign_of bond0)"
	record "$mode.vlan" "$(mac_of bond0.100)"
	record "$mode.slaves" "$(cat /sys/class/net/bond0/bonding/slaves)"
	record "$mode.mode" "$(cut -d' ' -f1 /sys/class/net/bond0/bonding/mode)"
	ifdown bond0.100 >/dev/null 2>&1
	ifdown bond0 >>"$OUT/$mode.ifup" 2>&1
	ifup_and_record "$mode.cycle" bond0
	record "$mode.cycle.mac" "$(mac_of bond0)"
done

step "bond-slaves none, ports with bond-master, boot-style ifup -a (ports listed first)"
reset_net "$A" "$B" "$C"
cat >/etc/network/interfaces <<EOT
auto lo
iface lo inet loopback

auto $B
iface $B inet manual
	bond-master bond0

auto $A
iface $A inet manual
	bond-master bond0

auto bond0
iface bond0 inet manual
	bond-mode active-backup
	bond-slaves none
	bond-miimon 100
	bond-derive-mac yes
EOT
ifup_and_record masters -a
record masters.mac "$(mac_of bond0)"
record masters.slaves "$(cat /sys/class/net/bond0/bonding/slaves)"

step "the bond already exists with another MAC and a port"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
modprobe bonding max_bonds=0
ip link add bond0 type bond
ip link set bond0 address 3a:11:22:33:44:55
ip link set "$B" master bond0
ip link set bond0 up
ifup_and_record existing bond0
record existing.mac "$(mac_of bond0)"
cp "$OUT/existing.ifup" "$OUT/existing.log"

step "bond-derive-mac names the second port"
reset_net "$A" "$B" "$C"
bond_stanza 802.3ad "$A $B" "bond-derive-mac $B"
ifup_and_record named bond0
record named.mac "$(mac_of bond0)"

step "a port whose permanent MAC is already locally administered"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$C $A" "bond-derive-mac yes"
ifup_and_record local bond0
record local.mac "$(mac_of bond0)"

step "the first configured port is absent at boot"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "enp9s9 $B $A" "bond-derive-mac yes"
ifup_and_record absent bond0
record absent.mac "$(mac_of bond0)"

step "opted out: the kernel and udev decide (control)"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac no"
ifup_and_record optout bond0
record optout.mac "$(mac_of bond0)"

for case in "badvalue:bond-derive-mac maybe so" "badport:bond-derive-mac eno9" "hwaddr:bond-derive-mac yes
	hwaddress 02:00:00:00:00:99"; do
	name=${case%%:*}
	step "bad input: $name"
	reset_net "$A" "$B" "$C"
	bond_stanza active-backup "$A $B" "${case#*:}"
	ifup_and_record "$name" bond0
	record "$name.mac" "$(mac_of bond0)"
	record "$name.up" "$(cat /sys/class/net/bond0/operstate 2>/dev/null)"
done

step "bad input: a name in bond-slaves that is no interface name"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
sed -i "s/bond-slaves $A $B/bond-slaves $A \$(reboot)/" /etc/network/interfaces
ifup_and_record badslaves bond0
record badslaves.mac "$(mac_of bond0)"

step "a link named with a non-ASCII digit elsewhere on the host (issue 9, item 8)"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
ip link add "tap1²" type dummy
ifup_and_record odd_name bond0
record odd_name.mac "$(mac_of bond0)"
ip link del "tap1²"

step "fail_over_mac active: the kernel accepts the new MAC and keeps the old one"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
modprobe bonding max_bonds=0
ip link add bond0 type bond mode active-backup fail_over_mac active
ip link set "$A" master bond0
ip link set bond0 up
record kept.before "$(mac_of bond0)"
ifup_and_record kept bond0
record kept.mac "$(mac_of bond0)"

step "faults: modprobe and ifquery missing, a syslog daemon that hangs"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
modprobe=$(command -v modprobe)
mv "$modprobe" "$modprobe.hidden"
ifup_and_record no_modprobe bond0
mv "$modprobe.hidden" "$modprobe"
reset_net "$A" "$B" "$C"
cat >/etc/network/interfaces <<EOT
auto lo
iface lo inet loopback

iface $A inet manual
	bond-master bond0

iface bond0 inet manual
	bond-mode active-backup
	bond-slaves none
	bond-derive-mac yes
EOT
ifquery=$(command -v ifquery)
mv "$ifquery" "$ifquery.hidden"
ifup_and_record no_ifquery bond0
mv "$ifquery.hidden" "$ifquery"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
hang_syslog
ifup_and_record hung_syslog bond0
record hung_syslog.mac "$(mac_of bond0)"
unhang_syslog
pkill -x syslogd
rm -f /dev/log

step "ifup typed in a directory someone else can write to (issue 9, item 1)"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A $B" "bond-derive-mac yes"
ifup_from_a_trojan_directory

step "bond-derive-mac-scheme ul-bit on a NIC with a vendor (globally administered) MAC"
reset_net "$A" "$B" "$C" "$D"
bond_stanza active-backup "$D $A" "bond-derive-mac yes
	bond-derive-mac-scheme ul-bit"
ifup_and_record ulbit bond0
record ulbit.mac "$(mac_of bond0)"

step "status: one bond by ifupdown, one by hand, one left to udev and the kernel"
reset_net "$A" "$B" "$C"
bond_stanza active-backup "$A" "bond-derive-mac yes"
ifup bond0 >"$OUT/status.ifup" 2>&1
ip link add bond1 type bond
ip link set "$B" master bond1
ip link add bond2 type bond
udevadm settle
bondhook status >"$OUT/status.txt" 2>&1
record status.rc "$?"
bondhook status --json >"$OUT/status.json" 2>"$OUT/status.err"
record status.json_rc "$?"
bondhook apply bond1 --dry-run >"$OUT/apply-dry.txt" 2>&1
record apply_dry.mac "$(mac_of bond1)"
bondhook apply bond1 >"$OUT/apply.txt" 2>&1
record apply.rc "$?"
record apply.mac "$(mac_of bond1)"
bondhook apply bond1 --source eno9 >"$OUT/apply-bad.txt" 2>&1
record apply_bad.rc "$?"
bondhook status --json >"$OUT/status-after.json" 2>&1

record done 1

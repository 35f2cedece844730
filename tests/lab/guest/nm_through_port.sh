# Lab boot (issue 22): an opted-in bond brought up through its port profile, LAB_TRIES times in a
# row, each time undone once after its pre-up the way Debian's 01-ifupdown and ifenslave undo it
# on bookworm (every port freed: the kernel's random MAC; then a port joins and gives the bond its
# own), then one try more without bondhook's up/down script: what the bond ends with without it.
. "$(dirname "$0")/lib.sh"

A=$(nic 52:54:00:c8:76:09)
B=$(nic 52:54:00:c8:76:0a)
record nics "$A,$B"
record nm_version "$(NetworkManager --version)"
record ifupdown_script "$([ -x /etc/NetworkManager/dispatcher.d/01-ifupdown ] && echo present)"
modprobe bonding max_bonds=0
start_nm
nmcli con add type bond ifname bond0 con-name bond0 bond.options mode=active-backup,miimon=100 \
	ipv4.method disabled ipv6.method ignore connection.autoconnect no connection.autoconnect-slaves yes \
	>/dev/null
nmcli con add type ethernet ifname "$A" con-name bond0-port-a master bond0 slave-type bond \
	connection.autoconnect no >/dev/null
nmcli con add type ethernet ifname "$B" con-name bond0-port-b master bond0 slave-type bond \
	connection.autoconnect no >/dev/null
install_bondhook_nm

# Every dispatcher event in order, and the undo: a script of the lab's between 01-ifupdown and
# bondhook's, on the bond's `up` event while /run/lab-undo exists.
events=/etc/NetworkManager/dispatcher.d
printf '#!/bin/sh\necho "$(cut -d" " -f1 /proc/uptime) $2 $1" >>%s/events.txt\n' "$OUT" >$events/00-lab-events
cat >$events/50-lab-undo <<EOT
#!/bin/sh
[ "\$1 \$2" = "bond0 up" ] && [ -e /run/lab-undo ] || exit 0
for port in \$(cat /sys/class/net/bond0/bonding/slaves); do echo "-\$port" >/sys/class/net/bond0/bonding/slaves; done
echo "\$(cut -d" " -f1 /proc/uptime) undo: no port, \$(cat /sys/class/net/bond0/address)" >>$OUT/events.txt
ip link set $A master bond0
echo "\$(cut -d" " -f1 /proc/uptime) undo: $A joined, \$(cat /sys/class/net/bond0/address)" >>$OUT/events.txt
EOT
chmod 755 $events/00-lab-events $events/50-lab-undo
# The dispatcher has run every event NetworkManager sent: no new one for 2 s (at most 90 s).
settle() {
	last=-1 quiet=0
	for _ in $(seq 180); do
		now=$(wc -c <"$OUT/events.txt" 2>/dev/null || echo 0)
		if [ "$now" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; fi
		[ $quiet -ge 4 ] && return
		last=$now
		sleep 0.5
	done
}

step "first activation, profiles written by bondhook"
nmcli con up bond0 >"$OUT/first.txt" 2>&1
wait_active bond0
settle
record first "$(mac_of bond0)"
ip -ts monitor link dev bond0 >"$OUT/monitor.txt" 2>&1 &

try() { # NAME: down (no bond left), up through the port profile, settled; NAME's outcome
	echo "$(uptime_s) === $1" >>"$OUT/events.txt"
	nmcli con down bond0 >/dev/null 2>&1
	settle
	ip link del bond0 2>/dev/null # NetworkManager deletes the bond it made; a guard
	before=$(syslog_lines bond0)
	again=$(grep -c 'bondhook: bond0: MAC was' "$OUT/syslog.log")
	nmcli con up bond0-port-a >>"$OUT/through-port.txt" 2>&1
	wait_active bond0
	settle
	state=$(nmcli -g GENERAL.STATE device show bond0 2>/dev/null | cut -d' ' -f1)
	ports=$(tr ' ' , </sys/class/net/bond0/bonding/slaves 2>/dev/null)
	lines=$(($(syslog_lines bond0) - before))
	again=$(($(grep -c 'bondhook: bond0: MAC was' "$OUT/syslog.log") - again))
	record "$1" "$(mac_of bond0) ${state:-none} ${ports:-none} $(assign_of bond0) $lines $again"
}
step "${LAB_TRIES:?} activations through the port profile, each undone once after its pre-up"
touch /run/lab-undo
for n in $(seq "$LAB_TRIES"); do try "try$n"; done
step "control: the same without bondhook's up/down script"
mv $NM_EVENTS/90-bondhook /run/90-bondhook.off
try control
mv /run/90-bondhook.off $NM_EVENTS/90-bondhook
rm /run/lab-undo
cp "$OUT/nm.log" "$OUT/nm-through-port.log" 2>/dev/null
record done 1

# Sourced by networkd.sh: a boot with systemd as PID 1 (of a PID namespace, as a container boots:
# the guest's own PID 1 is the lab's init), the .deb installed with dpkg, its unit enabled as the
# package enables it, systemd-networkd started by systemd. A first boot's netplan: the bond2 YAML
# only appears when a unit ordered before network-pre.target renders it (as cloud-init-local does),
# six seconds into the boot, later than bondhook's unit would read it if it were not ordered after
# network-pre.target. Records boot.* (MACs, the unit's result and output, the order the units ran).
# Needs $CONF, the bond0/bond1 files and /etc/netplan/60-bond2.yaml of networkd.sh.
step "systemd as PID 1: the package's unit, cloud-init-like netplan before network-pre.target, networkd"
start=$(date +%s)
dpkg --no-triggers -i "$LAB_DEB" >"$OUT/boot-dpkg.txt" 2>&1 # man-db's trigger: minutes under TCG
record boot.dpkg "$?"
record boot.dpkg_s "$(($(date +%s) - start))"
record boot.wants "$(readlink /etc/systemd/system/systemd-networkd.service.wants/bondhook-networkd.service)"
rm -rf $CONF/*.netdev.d /run/systemd/network/10-netplan-*
mkdir -p /etc/lab
mv /etc/netplan/60-bond2.yaml /etc/lab/
cat >/etc/systemd/system/lab-cloud-init-local.service <<'EOT'
[Unit]
Description=Renders netplan late, as cloud-init-local does on a clone's first boot
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'sleep 6; cp /etc/lab/60-bond2.yaml /etc/netplan/; netplan generate'
EOT
cat >/etc/systemd/system/lab.target <<'EOT'
[Unit]
Description=The lab's boot: networkd and what renders its configuration
Wants=systemd-networkd.service lab-cloud-init-local.service
EOT
# The unit's output where the host reads it; opened by systemd, not by the sandboxed service.
mkdir -p /etc/systemd/system/bondhook-networkd.service.d
printf '[Service]\nStandardOutput=append:%s\nStandardError=append:%s\n' \
	"$OUT/boot-unit.txt" "$OUT/boot-unit.txt" >/etc/systemd/system/bondhook-networkd.service.d/lab-output.conf
# A container's view: /run fresh (with the guest's udev database, as udevd keeps it), /sys
# read-only so that the guest's udevd stays the only one, a cgroup of its own (the guest's init and
# this script stay outside what that systemd manages and may kill).
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /sys/fs/cgroup/lab-boot
(echo 0 >/sys/fs/cgroup/lab-boot/cgroup.procs && exec unshare --pid --fork --mount --cgroup --propagation private --mount-proc sh -c "
	mkdir -p /tmp/lab-udev && mount --bind /run/udev /tmp/lab-udev &&
	mount -t tmpfs tmpfs /run && mkdir /run/udev && mount --move /tmp/lab-udev /run/udev &&
	mount -o bind,remount,ro /sys && mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
	exec env container=lab /usr/lib/systemd/systemd --system --unit=lab.target --log-target=console
") >"$OUT/boot-systemd.txt" 2>&1 &
outer=$!
in_boot() { nsenter --target "$(pgrep -P $outer)" --mount --pid "$@"; }
for _ in $(seq 600); do
	[ -n "$(cat /sys/class/net/bond0/bonding/slaves 2>/dev/null)" ] &&
		[ -n "$(cat /sys/class/net/bond2/bonding/slaves 2>/dev/null)" ] && break
	sleep 0.2
done
macs boot
for unit in lab-cloud-init-local bondhook-networkd systemd-networkd; do
	record "boot.$unit" "$(in_boot systemctl show --property=Result,ExecMainStatus,InactiveExitTimestampMonotonic,InactiveEnterTimestampMonotonic "$unit.service" | tr '\n' ' ')"
done
record boot.dropin.bond2 "$(sed -n 's/^MACAddress=//p' $CONF/10-netplan-bond2.netdev.d/90-bondhook.conf 2>&1)"
in_boot systemd-analyze security bondhook-networkd.service >"$OUT/boot-security.txt" 2>&1
record boot.security "$(sed -n 's/.*Overall exposure level for bondhook-networkd.service: \([0-9.]*\).*/\1/p' "$OUT/boot-security.txt")"
kill -KILL "$(pgrep -P $outer)"
wait $outer 2>/dev/null
stop_networkd
mv /etc/lab/60-bond2.yaml /etc/netplan/
netplan generate >>"$OUT/netplan.txt" 2>&1

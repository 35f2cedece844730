#!/bin/sh
# Run by bench/run.py inside `unshare --net --mount`: the boot unit's steady state natively, on veth
# ports of a networkd bond whose drop-in is in place. veths have no permanent MAC, so no full run
# can find its ports here: the record a steady full run leaves is written directly (steady_io's
# own function, on these inputs), and what is timed is the check every steady boot makes. Every
# directory it writes is a tmpfs of this mount namespace. Prints hyperfine's JSON to stdout.
set -eu
src=$1 # and $2: the unit file, whose ExecStart is timed
for dir in /etc/systemd/network /run/systemd /var/lib /usr/local/lib/python3.11/dist-packages; do
	mount -t tmpfs tmpfs "$dir"
done
echo "$src" >/usr/local/lib/python3.11/dist-packages/bondhook-bench.pth
ip link add eth0 address 52:54:00:c8:76:09 type veth peer name eth1 address 52:54:00:c8:76:0a
printf '[NetDev]\nName=bond0\nKind=bond\n' >/etc/systemd/network/25-bond0.netdev
printf '[Match]\nName=eth0 eth1\n\n[Network]\nBond=bond0\n' >/etc/systemd/network/30-ports.network
mkdir /etc/systemd/network/25-bond0.netdev.d
printf '[NetDev]\nMACAddress=02:54:00:c8:76:09\n' >/etc/systemd/network/25-bond0.netdev.d/90-bondhook.conf
/usr/bin/python3 -I -c 'from bondhook.networkd import steady_io; steady_io.record(steady_io.inputs())'
unit=$(sed -n 's/^ExecStart=//p' "$2")
eval "$unit"
export="$(mktemp)"
hyperfine -N --warmup 20 --runs 200 --export-json "$export" "$unit" "/usr/bin/python3 -I -c pass" >/dev/null
cat "$export"

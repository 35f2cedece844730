# `make bench`, inside the lab guest: each figure measured in the same run as its floor, as the
# median of several runs (TCG makes absolute times meaningless; ratios hold).
. "$BONDHOOK_ROOT/tests/lab/guest/lib.sh"

A=$(nic 52:54:00:c8:76:09)
B=$(nic 52:54:00:c8:76:0a)
install_bondhook
HOOK=/etc/network/if-pre-up.d/bondhook
PY=/usr/bin/python3
RUNS=${BENCH_RUNS:-3}

ms_of() { # run "$@" once; print its wall time in ms
	start=$(date +%s%N)
	"$@" >/dev/null 2>&1
	echo $(( ($(date +%s%N) - start) / 1000000 ))
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
bench() { # key command...: record the median wall time over $RUNS runs
	key=$1; shift
	record "$key" "$(for _ in $(seq "$RUNS"); do ms_of "$@"; done | median)"
}
record_pairs() { # key: $OUT/pair holds "subject floor" ms per run; record key and key.floor (medians)
	record "$1" "$(cut -d' ' -f1 "$OUT/pair" | median)"
	record "$1.floor" "$(cut -d' ' -f2 "$OUT/pair" | median)"
}
paired() { # key subject floor: time the two commands (functions) alternately, $RUNS times each, so
	# that load coming and going on the host weighs on both
	for _ in $(seq "$RUNS"); do echo "$(ms_of "$2") $(ms_of "$3")"; done >"$OUT/pair"
	record_pairs "$1"
}
times20() { for _ in $(seq 20); do "$@"; done; }

step "1a. every stanza that is not an opted-in bond: one shell test, no Python (20 runs per sample)"
hook_other() { times20 env -i IFACE=eth0 ADDRFAM=inet METHOD=manual MODE=start PHASE=pre-up "$HOOK"; }
true_other() { times20 env -i IFACE=eth0 ADDRFAM=inet METHOD=manual MODE=start PHASE=pre-up /bin/true; }
paired hook_other.x20 hook_other true_other

step "1b. an opted-in bond (already carrying its MAC): hook and apply against the pyroute2 floor"
bond_stanza 802.3ad "$A $B" "bond-derive-mac yes"
ifup bond0 >/dev/null 2>&1
record bond0.mac "$(mac_of bond0)"
import_pyroute2() { $PY -c "import pyroute2"; }
hook_bond() {
	env -i IFACE=bond0 ADDRFAM=inet METHOD=manual MODE=start PHASE=pre-up \
		IF_BOND_DERIVE_MAC=yes "IF_BOND_SLAVES=$A $B" IF_BOND_MODE=802.3ad "$HOOK"
}
apply_bond() { $PY -m bondhook apply bond0; }
bench python_pass $PY -c pass
paired hook_bond hook_bond import_pyroute2
paired apply apply_bond import_pyroute2
env IFACE=bond0 ADDRFAM=inet IF_BOND_DERIVE_MAC=yes "IF_BOND_SLAVES=$A $B" \
	$PY -X importtime -m bondhook.ifupdown 2>"$OUT/importtime.txt"

step "1c. ifup bond0 end to end, with and without bondhook"
ifup_cycle() { ifdown bond0 >/dev/null 2>&1; ms_of ifup bond0; }
for _ in $(seq "$RUNS"); do
	install_bondhook
	with=$(ifup_cycle)
	uninstall_bondhook
	echo "$with $(ifup_cycle)"
done >"$OUT/pair"
record_pairs ifup_with
ifdown bond0 >/dev/null 2>&1
install_bondhook

step "2. status --json over many bonds of 2 ports each, against pyroute2's own dump"
modprobe dummy numdummies=0
status_json() { $PY -m bondhook status --json; }
pyroute2_dump() { $PY -c "from pyroute2 import IPRoute; IPRoute().get_links()"; }
for n in 16 64 256; do
	: >"$OUT/batch"
	for i in $(seq "$n"); do
		printf 'link add sb%s type bond\nlink add sd%sa type dummy\nlink add sd%sb type dummy\n' "$i" "$i" "$i"
		printf 'link set sd%sa master sb%s\nlink set sd%sb master sb%s\n' "$i" "$i" "$i" "$i"
	done >>"$OUT/batch"
	ip -batch "$OUT/batch"
	udevadm settle --timeout=900 # udev's work on hundreds of new links would otherwise be timed too
	record "scale$n.links" "$(ls /sys/class/net | wc -l)"
	paired "scale$n.status" status_json pyroute2_dump
	bench "scale$n.ip" ip -d -j link show
	$PY -m bondhook status --json >"$OUT/status$n.json" 2>&1
	for i in $(seq "$n"); do printf 'link del sb%s\nlink del sd%sa\nlink del sd%sb\n' "$i" "$i" "$i"; done >"$OUT/batch"
	ip -batch "$OUT/batch"
	udevadm settle --timeout=900
done

step "3. nm-sync over 10 and 50 bond profiles"
start_nm
nm_sync() { $PY -m bondhook nm-sync; }
import_pyroute2_dbus() { $PY -c "import pyroute2, dbus_next.aio"; }
for n in 10 50; do
	rm -f $KEYFILES/*.nmconnection
	for i in $(seq "$n"); do
		uuid=$(cat /proc/sys/kernel/random/uuid)
		printf '[connection]\nid=nb%s\nuuid=%s\ntype=bond\ninterface-name=nb%s\nautoconnect=false\n[bond]\nmode=active-backup\n' \
			"$i" "$uuid" "$i" >"$KEYFILES/nb$i.nmconnection"
		for port in "$A" "$B"; do
			printf '[connection]\nid=nb%s-%s\nuuid=%s\ntype=ethernet\ninterface-name=%s\nmaster=nb%s\nslave-type=bond\nautoconnect=false\n' \
				"$i" "$port" "$(cat /proc/sys/kernel/random/uuid)" "$port" "$i" >"$KEYFILES/nb$i-$port.nmconnection"
		done
	done
	chmod 600 $KEYFILES/*.nmconnection
	nmcli connection reload
	record "nm$n.profiles" "$(nmcli -t -f NAME connection show | wc -l)"
	record "nm$n.sync_first" "$(ms_of $PY -m bondhook -v nm-sync)"
	record "nm$n.written" "$(grep -l 'bondhook.mac=' $KEYFILES/nb*.nmconnection | wc -l)"
	$PY -m bondhook -v nm-sync --dry-run 2>"$OUT/nm$n-calls.txt"
	record "nm$n.calls" "$(sed -n 's/.*nm-sync: [0-9]* profiles, \([0-9]*\) D-Bus calls/\1/p' "$OUT/nm$n-calls.txt")"
	paired "nm$n.sync_again" nm_sync import_pyroute2_dbus
done

step "4. bondhook's NetworkManager pre-up script, as the dispatcher runs it for a bond"
rm -f $KEYFILES/nb*.nmconnection
printf '[connection]\nid=bench0\nuuid=%s\ntype=bond\ninterface-name=bench0\nautoconnect=false\n[bond]\nmode=active-backup\n' \
	"$(cat /proc/sys/kernel/random/uuid)" >$KEYFILES/bench0.nmconnection
printf '[connection]\nid=bench0-port\nuuid=%s\ntype=ethernet\ninterface-name=%s\nmaster=bench0\nslave-type=bond\nautoconnect=false\n' \
	"$(cat /proc/sys/kernel/random/uuid)" "$A" >$KEYFILES/bench0-port.nmconnection
chmod 600 $KEYFILES/*.nmconnection
cp $KEYFILES/bench0.nmconnection "$OUT/bench0.unsynced"
nmcli connection reload
ip link add bench0 type bond
install_bondhook_nm
pre_up() {
	env CONNECTION_UUID="$(keyfile_value $KEYFILES/bench0.nmconnection connection uuid)" \
		CONNECTION_FILENAME=$KEYFILES/bench0.nmconnection \
		sh $NM_PRE_UP/90-bondhook bench0 pre-up
}
unsync() { cp "$OUT/bench0.unsynced" $KEYFILES/bench0.nmconnection; nmcli connection load $KEYFILES/bench0.nmconnection; }
pre_up_first() { unsync >/dev/null 2>&1; ms_of pre_up; }
python_pass() { $PY -I -c pass; }
full_imports() { $PY -I -c "import asyncio, logging, dataclasses, dbus_next.aio"; }
pre_up >/dev/null 2>&1 # the first activation: the profile is written, the device set
record bench0.mac "$(mac_of bench0)"
paired dispatch_steady pre_up python_pass
for _ in $(seq "$RUNS"); do echo "$(pre_up_first) $(ms_of full_imports)"; done >"$OUT/pair"
record_pairs dispatch_first
record done 1

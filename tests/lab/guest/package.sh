# Lab boot: the built .deb installed with apt on Debian's own python3-pyroute2 and
# python3-dbus-next (nothing from pip), used by ifupdown and NetworkManager through the
# installed hooks, its postinst and /usr/bin/python3, then purged; then the upgrade to it from
# the previous revision (LAB_PREVIOUS_DEB); last, apt installs it where the release's ifupdown2
# (IFUPDOWN2_DEB) has replaced ifupdown, for ifupdown2's scenario (lib.sh) with the installed hook.
. "$(dirname "$0")/lib.sh"

four_nics
# The postinst run by hand as dpkg runs it: dpkg-maintscript-helper needs to know the package.
POSTINST="env DPKG_MAINTSCRIPT_PACKAGE=bondhook DPKG_MAINTSCRIPT_NAME=postinst /var/lib/dpkg/info/bondhook.postinst"
rm -f /usr/lib/python3/dist-packages/bondhook-lab.pth

step "a NetworkManager bond profile made before the install, NetworkManager running"
start_nm
nmcli con add type bond ifname bond2 con-name bond2 bond.options mode=active-backup,miimon=100 \
	ipv4.method disabled ipv6.method ignore connection.autoconnect no >/dev/null
nmcli con add type ethernet ifname "$A" con-name bond2-port master bond2 slave-type bond \
	connection.autoconnect no >/dev/null

step "apt install the .deb (its postinst runs nm-sync)"
# man-db's trigger re-indexes every man page, minutes under TCG; it is not what is tested here.
rm -f /var/lib/man-db/auto-update
# apt installs a local .deb here, whose dependencies the root has: the archive's package lists
# (19 MB on bookworm) decide nothing, and parsing them took each apt run a minute under TCG.
mkdir -p /run/lab-apt-lists/partial
echo 'Dir::State::Lists "/run/lab-apt-lists";' >/etc/apt/apt.conf.d/99lab-no-lists
apt-get install -y "$LAB_DEB" >"$OUT/install.txt" 2>&1
record install.rc "$?"
record postinst.keyfile_mac "$(keyfile_value $KEYFILES/bond2.nmconnection ethernet cloned-mac-address)"
record postinst.keyfile_owned "$(keyfile_value $KEYFILES/bond2.nmconnection user bondhook.mac)"
record postinst.nm_sees "$(nmcli -g 802-3-ethernet.cloned-mac-address con show bond2 | tr -d '\\')"
stop_nm
$POSTINST configure >"$OUT/postinst-no-nm.txt" 2>&1
record postinst.no_nm_rc "$?"
record install.module "$(/usr/bin/python3 -c 'import bondhook, pyroute2, dbus_next; print(bondhook.__file__)')"
record install.versions "$(dpkg-query -W -f='${Package}=${Version} ' python3-pyroute2 python3-dbus-next)"
sh "$BONDHOOK_ROOT/debian/tests/cli" >"$OUT/dep8-cli.txt" 2>&1
record dep8.cli "$?"
sh "$BONDHOOK_ROOT/debian/tests/ifupdown-bond" >"$OUT/dep8-ifupdown-bond.txt" 2>&1
record dep8.ifupdown_bond "$?"
ip link del bond9 2>/dev/null
dpkg -L bondhook >"$OUT/files.txt"
record install.status "$(/usr/bin/bondhook status >"$OUT/status-empty.txt" 2>&1; echo $?)"

step "ifupdown through the installed hook"
bond_stanza 802.3ad "$A $B" "bond-derive-mac yes"
interfaces_sum=$(md5sum /etc/network/interfaces)
ifup_and_record ifup bond0
record ifup.mac "$(mac_of bond0)"
ifdown bond0 >/dev/null 2>&1

step "NetworkManager through the installed dispatcher script"
start_nm
nmcli con add type bond ifname bond1 con-name bond1 bond.options mode=active-backup,miimon=100 \
	ipv4.method disabled ipv6.method ignore connection.autoconnect no connection.autoconnect-slaves yes >/dev/null
nmcli con add type ethernet ifname "$B" con-name bond1-port master bond1 slave-type bond \
	connection.autoconnect no >/dev/null
nmcli con up bond1 >"$OUT/nm-up.txt" 2>&1
wait_active bond1
record nm.mac "$(mac_of bond1)"
record nm.keyfile_owned "$(keyfile_value $KEYFILES/bond1.nmconnection user bondhook.mac)"
record nm.script_in_etc "$([ -e /etc/NetworkManager/dispatcher.d/pre-up.d/90-bondhook ] && echo yes || echo no)"
record nm.events_script "$([ -x $NM_EVENTS/90-bondhook ] && echo yes || echo no)"
record nm.record "$(cat /run/bondhook/nm/bond1 2>&1)"
record nm.ifindex "$(cat /sys/class/net/bond1/ifindex)"
nmcli con down bond1 >/dev/null 2>&1
stop_nm

step "the installed hook, from a directory someone else can write to (issue 9, item 1)"
ifup_from_a_trojan_directory
ifdown bond0 >/dev/null 2>&1

step "the postinst in a chroot (an image being built) leaves the host's NetworkManager alone"
start_nm
nmcli con add type bond ifname bond5 con-name bond5 bond.options mode=active-backup \
	ipv4.method disabled ipv6.method ignore connection.autoconnect no >/dev/null
nmcli con add type ethernet ifname "$A" con-name bond5-port master bond5 slave-type bond \
	connection.autoconnect no >/dev/null
bond5_sum=$(md5sum $KEYFILES/bond5.nmconnection)
# The image: the root file system with a writable layer of its own (a tmpfs: overlayfs takes no
# overlay as its upper layer, and /tmp is one here), with this system's /usr and /var (where the
# package is installed, for debhelper's part of the postinst), and /run, where the host's system
# bus is visible from the image.
mkdir -p /tmp/image /tmp/image-rw
mount -t tmpfs tmpfs /tmp/image-rw
mkdir /tmp/image-rw/upper /tmp/image-rw/work
mount -t overlay overlay -o lowerdir=/,upperdir=/tmp/image-rw/upper,workdir=/tmp/image-rw/work /tmp/image
mount -t proc proc /tmp/image/proc
for dir in /usr /var /run; do mount --bind $dir /tmp/image$dir; done
chroot /tmp/image $POSTINST configure >"$OUT/postinst-chroot.txt" 2>&1
record chroot.rc "$?"
record chroot.untouched "$([ "$(md5sum $KEYFILES/bond5.nmconnection)" = "$bond5_sum" ] && echo yes || echo no)"
umount /tmp/image/run /tmp/image/var /tmp/image/usr /tmp/image/proc /tmp/image /tmp/image-rw

step "systemd-networkd through the installed unit (enabled by the package, run as systemd would)"
UNIT_WANTS=/etc/systemd/system/systemd-networkd.service.wants/bondhook-networkd.service
record unit.wants "$(readlink -f $UNIT_WANTS)" # bookworm links via /lib, which is /usr/lib
systemd-analyze verify /usr/lib/systemd/system/bondhook-networkd.service >"$OUT/unit-verify.txt" 2>&1
record unit.verify_rc "$?"
mkdir -p /etc/systemd/network
printf '[NetDev]\nName=bond7\nKind=bond\n' >/etc/systemd/network/25-bond7.netdev
printf '[Match]\nName=%s\n\n[Network]\nBond=bond7\n' "$A" >/etc/systemd/network/30-bond7.network
run_unit_exec /usr/lib/systemd/system/bondhook-networkd.service >"$OUT/unit-run.txt" 2>&1
record unit.run_rc "$?"
record unit.dropin "$(sed -n 's/^MACAddress=//p' /etc/systemd/network/25-bond7.netdev.d/90-bondhook.conf)"

step "apt remove (not purge): NM profiles lose what bondhook wrote, the hooks stay and go quiet"
nmcli con add type bond ifname bond6 con-name bond6 bond.options mode=active-backup \
	ipv4.method disabled ipv6.method ignore connection.autoconnect no ethernet.cloned-mac-address 02:aa:bb:cc:dd:ee >/dev/null
bond6_sum=$(md5sum $KEYFILES/bond6.nmconnection)
apt-get remove -y bondhook >"$OUT/remove.txt" 2>&1
record remove.rc "$?"
record remove.bond2_mac "$(keyfile_value $KEYFILES/bond2.nmconnection ethernet cloned-mac-address)"
record remove.bond2_owned "$(keyfile_value $KEYFILES/bond2.nmconnection user bondhook.mac)"
record remove.bond2_source "$(keyfile_value $KEYFILES/bond2.nmconnection user bondhook.source)"
record remove.bond6_untouched "$([ "$(md5sum $KEYFILES/bond6.nmconnection)" = "$bond6_sum" ] && echo yes || echo no)"
stop_nm
record remove.networkd_dropin "$(ls /etc/systemd/network/25-bond7.netdev.d 2>/dev/null | tr '\n' ' ')"
record remove.hook_left "$([ -x /etc/network/if-pre-up.d/bondhook ] && echo yes || echo no)"
record remove.nm_script_left "$([ -e $NM_PRE_UP/90-bondhook ] && echo yes || echo no)"
record remove.nm_events_left "$([ -e $NM_EVENTS/90-bondhook ] && echo yes || echo no)"
record remove.run_records "$([ -e /run/bondhook ] && echo yes || echo no)"
ifup_and_record removed bond0
record removed.mac "$(mac_of bond0)"
ifdown bond0 >/dev/null 2>&1
keyfile_sum=$(md5sum $KEYFILES/bond1.nmconnection)

step "apt purge"
apt-get purge -y bondhook >"$OUT/purge.txt" 2>&1
record purge.rc "$?"
left=0
while read -r path; do
	[ -f "$path" ] && { echo "left behind: $path"; left=$((left + 1)); }
done <"$OUT/files.txt"
record purge.left "$left"
record purge.interfaces_untouched "$([ "$(md5sum /etc/network/interfaces)" = "$interfaces_sum" ] && echo yes || echo no)"
record purge.profile_untouched "$([ "$(md5sum $KEYFILES/bond1.nmconnection)" = "$keyfile_sum" ] && echo yes || echo no)"
record purge.module_dir "$([ -e /usr/lib/python3/dist-packages/bondhook ] && echo present || echo gone)"
record purge.unit_wants "$([ -L $UNIT_WANTS ] && echo present || echo gone)"
record purge.dpkg "$(dpkg-query -W -f='${db:Status-Status}' bondhook 2>/dev/null || echo not-installed)"
ip link del bond0 2>/dev/null
ifup_and_record after bond0
record after.mac "$(mac_of bond0)"
ifdown bond0 >/dev/null 2>&1
ip link del bond0 2>/dev/null

step "upgrade from the previous revision: nothing of its module layout left, the hooks work"
dpkg -i "$LAB_PREVIOUS_DEB" >"$OUT/previous.txt" 2>&1
record upgrade.previous_rc "$?"
record upgrade.from "$(dpkg-query -W -f='${Version}' bondhook)"
dpkg -i "$LAB_DEB" >"$OUT/upgrade.txt" 2>&1
record upgrade.rc "$?"
record upgrade.to "$(dpkg-query -W -f='${Version}' bondhook)"
# Every file in the module directory is the new package's, or the byte code of one of its modules.
MODULES=/usr/lib/python3/dist-packages/bondhook
dpkg -L bondhook >"$OUT/upgrade-files.txt"
find $MODULES -type f | while read -r path; do
	case "$path" in
	*/__pycache__/*.pyc) name=${path##*/} && source="${path%/__pycache__/*}/${name%%.*}.py" ;;
	*) source=$path ;;
	esac
	grep -qxF "$source" "$OUT/upgrade-files.txt" || echo "$path"
done >"$OUT/upgrade-stale.txt"
record upgrade.stale "$(wc -l <"$OUT/upgrade-stale.txt")"
record upgrade.compiled "$(find $MODULES -name '*.pyc' | wc -l)"
record upgrade.modules "$(grep -c '\.py$' "$OUT/upgrade-files.txt")"
record upgrade.version "$(/usr/bin/bondhook --version)"
record upgrade.events_script "$([ -x $NM_EVENTS/90-bondhook ] && echo yes || echo no)"
/usr/bin/python3 -I -c 'from bondhook.nm.dispatcher_io import main' >"$OUT/upgrade-dispatcher.txt" 2>&1
record upgrade.dispatcher_import "$?"
bond_stanza 802.3ad "$A $B" "bond-derive-mac yes"
ifup_and_record upgraded bond0
record upgraded.mac "$(mac_of bond0)"

step "ifupdown2 in place of ifupdown: apt installs the package there, and its hook and policy work"
apt-get purge -y bondhook >"$OUT/if2-purge.txt" 2>&1
reset_net "$A" "$B" "$C" "$D"
install_ifupdown2 "$IFUPDOWN2_DEB"
apt-get install -y "$LAB_DEB" >"$OUT/if2-install.txt" 2>&1
record if2-install.rc "$?"
record if2-install.policy "$(dpkg -S /var/lib/ifupdown2/policy.d/bondhook.json 2>&1)"
bondhook() { /usr/bin/bondhook "$@"; }
ifupdown2_scenario if2 "$A $B" "$C" "$D"
record done 1

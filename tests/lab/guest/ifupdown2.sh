# Lab boot: ifupdown2 in place of ifupdown (issue 21), bondhook from the work tree with the policy
# its package installs for ifupdown2. First the release's own ifupdown2 (IFUPDOWN2_DEB), then, over
# it, upstream's (IFUPDOWN2_UPSTREAM, the lineage Proxmox VE ships) on a Proxmox VE-like host: its
# link drop-in, MACAddressPolicy=none. The same scenario for each (lib.sh, ifupdown2_scenario).
. "$(dirname "$0")/lib.sh"

four_nics
install_bondhook
install_ifupdown2_policy

step "the release's ifupdown2 in place of ifupdown"
install_ifupdown2 "$IFUPDOWN2_DEB"
ifupdown2_scenario if2 "$A $B" "$C" "$D"

[ -n "${IFUPDOWN2_UPSTREAM:-}" ] || { record done 1; exit 0; }
step "upstream ifupdown2 over the release's, and Proxmox VE's MACAddressPolicy=none"
ifdown -a >/dev/null 2>&1
modprobe -r bonding
install_ifupdown2_upstream "$IFUPDOWN2_UPSTREAM"
mkdir -p /usr/lib/systemd/network/99-default.link.d
printf '[Link]\nMACAddressPolicy=none\n' >/usr/lib/systemd/network/99-default.link.d/proxmox-mac-address-policy.link
udevadm control --reload
# bond0's ports as an ifupdown2 glob: it enslaves what the pattern names, bondhook derives from the first.
record if2up.ports "$(ifupdown2_glob "$A" "$B")"
ifupdown2_scenario if2up "$(ifupdown2_glob "$A" "$B")" "$C" "$D"
step "if2up: the control, one reload without the package's policy (upstream resets the bond)"
mv /var/lib/ifupdown2/policy.d/bondhook.json /tmp/bondhook.json
monitor_links if2up-nopolicy
ifreload -a >"$OUT/if2up-nopolicy.log" 2>&1
record if2up-nopolicy.rc "$?"
stop_monitor
mv /tmp/bondhook.json /var/lib/ifupdown2/policy.d/bondhook.json
step "if2up: bond1, not opted in, loses its first port: the policy is global, so it keeps that port's MAC"
sed -i "s/bond-slaves $C $D\$/bond-slaves $D/" /etc/network/interfaces
ifreload -a >"$OUT/if2up-port-out.log" 2>&1
record if2up-port-out.rc "$?"
record if2up-port-out.bond1 "$(mac_of bond1)"
record if2up-port-out.port "$(mac_of "$C")"
record done 1

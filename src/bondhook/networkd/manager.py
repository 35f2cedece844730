"""systemd-networkd (and netplan, which renders for it) as a manager bondhook serves: the bonds its
.netdev files make, who sets each one's MACAddress=, and the networkd-sync and networkd-release
commands. Pure; the edge (`files_io`) reads the configuration directories and writes drop-ins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from bondhook.networkd.config import (
    DROPIN_DIR,
    DROPIN_NAME,
    KEY_DERIVE,
    SECTION,
    Netdev,
    Network,
    configured_mac,
    fix,
    owner,
    request,
)
from bondhook.rules.manager import Command, Manager, View
from bondhook.rules.plan import Facts, Request
from bondhook.rules.stack import Fixer

NETWORKD = Manager(
    "systemd-networkd",
    key="networkd",
    edge="bondhook.networkd.files_io",
    sync=Command(
        "networkd-sync",
        "write derived MACs into systemd-networkd drop-ins",
        f"For every bond a .netdev makes (netplan's included), write {DROPIN_DIR}/FILE.netdev.d/{DROPIN_NAME} "
        "with the derived MACAddress=, so that networkd creates the bond with it. Left alone: bonds with a "
        f"MACAddress= a person set, and those opting out with [{SECTION}] {KEY_DERIVE}=no. The package's "
        "bondhook-networkd.service runs this before systemd-networkd at every boot.",
        waits=True,
    ),
    release=Command(
        "networkd-release",
        "remove bondhook's systemd-networkd drop-ins",
        "Remove every drop-in that carries bondhook's marker; what a person wrote stays. "
        "The package does this when it is removed.",
    ),
)


@dataclass(frozen=True)
class Netdevs:
    """networkd's bond .netdevs by bond name, its .network files, and every .netdev."""

    bonds: Mapping[str, Netdev]
    networks: Sequence[Network]
    netdevs: Sequence[Netdev]

    def request(self, bond: str, facts: Facts) -> Request | None:
        dev = self.bonds.get(bond)
        return None if dev is None else request(dev, self.networks, facts)[0]

    def view(self, bond: str) -> View | None:
        dev = self.bonds.get(bond)
        if dev is None:
            return None
        mac, dropin = configured_mac(dev), dev.own.path if dev.own else None
        edited = dev.dropin if dev.occupied else None
        data = {"netdev": dev.path, "mac": mac, "owner": owner(dev), "dropin": dropin, "edited": edited}
        line = f"systemd-networkd: {dev.path}, MACAddress {mac or 'unset'} (owner: {owner(dev)})"
        return View(line + (f"; {edited} is not as bondhook wrote it: a person's" if edited else ""), data)

    def fixers(self) -> dict[str, Fixer]:
        return {dev.name: partial(fix, dev.path) for dev in self.netdevs if dev.name}

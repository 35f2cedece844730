"""NetworkManager as a manager bondhook serves: its bond profiles, who sets each one's cloned MAC,
and the nm-sync and nm-release commands. Pure; the edge (`dbus_io`) reads the profiles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bondhook.nm.profile import BOND, Profile, fix, owner, profile_request
from bondhook.rules.manager import Command, Manager, View
from bondhook.rules.plan import Facts, Request
from bondhook.rules.stack import Fixer
from bondhook.rules.text import shown

NETWORKMANAGER = Manager(
    "NetworkManager",
    key="networkmanager",
    edge="bondhook.nm.dbus_io",
    sync=Command(
        "nm-sync",
        "write derived MACs into NetworkManager bond profiles",
        "Write each NetworkManager bond profile's derived MAC (ethernet.cloned-mac-address) "
        "and bondhook's user data; profiles whose cloned MAC a person set, or that opt out, are left alone.",
    ),
    release=Command(
        "nm-release",
        "take out of NetworkManager profiles what bondhook wrote",
        "Remove from every NetworkManager profile what bondhook wrote: the cloned MAC where "
        "bondhook's marker matches it, and the bondhook.mac and bondhook.source keys. What a person set stays. "
        "The package does this when it is removed.",
    ),
)


@dataclass(frozen=True)
class Profiles:
    """Every NetworkManager profile, as one D-Bus read gave them (none where NetworkManager is not
    running)."""

    everyone: tuple[Profile, ...]

    def _bond(self, bond: str) -> Profile | None:
        """The bond's profile; of two for one bond, the last NetworkManager listed."""
        return next((p for p in reversed(self.everyone) if p.type == BOND and p.interface_name == bond), None)

    def request(self, bond: str, facts: Facts) -> Request | None:
        profile = self._bond(bond)
        return None if profile is None else profile_request(profile, self.everyone, facts)

    def view(self, bond: str) -> View | None:
        profile = self._bond(bond)
        if profile is None:
            return None
        data = {"profile": profile.id, "uuid": profile.uuid, "cloned_mac": profile.cloned_mac, "owner": owner(profile)}
        value = profile.cloned_mac or "unset"
        line = f"NetworkManager: profile {shown(profile.id)}, cloned-mac-address {value} (owner: {owner(profile)})"
        return View(line, data)

    def fixers(self) -> dict[str, Fixer]:
        return {p.interface_name: partial(fix, shown(p.id)) for p in self.everyone if p.interface_name}

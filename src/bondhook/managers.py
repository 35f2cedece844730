"""Every network manager bondhook serves, in the order their configuration counts for a bond that
several configure: ifupdown's (or ifupdown2's) stanza, then NetworkManager's profile, then networkd's .netdev. A new
manager is a package of its own and one entry here."""

from __future__ import annotations

import importlib
from types import ModuleType

from bondhook.ifupdown.manager import IFUPDOWN
from bondhook.ifupdown2.manager import IFUPDOWN2
from bondhook.networkd.manager import NETWORKD
from bondhook.nm.manager import NETWORKMANAGER
from bondhook.rules.manager import Manager

MANAGERS: tuple[Manager, ...] = (IFUPDOWN, IFUPDOWN2, NETWORKMANAGER, NETWORKD)


def edge(manager: Manager) -> ModuleType:
    """The manager's edge module: read_config(), and run_sync()/run_release() where it offers them."""
    return importlib.import_module(manager.edge)

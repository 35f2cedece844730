"""Fact snapshots for pure tests: what the kernel would report, as plain values."""

from bondhook.rules.mac import Mac
from bondhook.rules.plan import Facts, Link

A = Mac.parse("52:54:00:c8:76:09")
B = Mac.parse("52:54:00:c8:76:0a")
LOCAL = Mac.parse("02:54:00:c8:76:0b")
HASHED = Mac.parse("3a:8e:1c:5f:00:42")


def nic(name: str, index: int, perm: Mac | None, master: int | None = None, address: Mac | None = None) -> Link:
    return Link(name, index, None, address or perm, perm, master)


def bond(name: str = "bond0", index: int = 10, address: Mac = HASHED, assign: int | None = None) -> Link:
    return Link(name, index, "bond", address, None, None, assign)


def facts(*links: Link) -> Facts:
    return Facts(tuple(links))

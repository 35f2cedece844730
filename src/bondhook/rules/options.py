"""The option table: every setting bondhook reads, declared once.

Validation, error messages, `--help` and the man page all read from `OPTIONS`, so a new option
or value is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from bondhook.rules.mac import SCHEMES
from bondhook.rules.names import is_ifname
from bondhook.rules.text import shown


def env_name(option: str) -> str:
    """The variable ifupdown exports to hooks for a stanza option: bond-slaves -> IF_BOND_SLAVES."""
    return "IF_" + option.upper().replace("-", "_")


@dataclass(frozen=True)
class Option:
    """One option as an admin writes it in a bond stanza of /etc/network/interfaces."""

    name: str
    values: str
    default: str
    help: str
    example: str

    @property
    def env(self) -> str:
        return env_name(self.name)


BOND_DERIVE_MAC = Option(
    name="bond-derive-mac",
    values="yes | no | <port>",
    default="no",
    help=(
        "Give the bond a locally administered MAC derived from a port's permanent MAC. "
        "'yes': the first port of bond-slaves (or, with 'bond-slaves none', of the stanzas "
        "saying 'bond-master <bond>', in name order) that has a usable permanent MAC; "
        "'<port>': that port; 'no': leave the MAC alone."
    ),
    example="bond-derive-mac yes",
)

BOND_DERIVE_MAC_SCHEME = Option(
    name="bond-derive-mac-scheme",
    values="02 | ul-bit",
    default="02",
    help=(
        "How the bond MAC is made from the source port's permanent MAC: '02' replaces the first "
        "octet with 02; 'ul-bit' only sets the first octet's locally-administered bit, keeping the "
        "vendor's OUI readable and colliding less often across a fleet (docs/benchmarks.md)."
    ),
    example="bond-derive-mac-scheme ul-bit",
)

OPTIONS: tuple[Option, ...] = (BOND_DERIVE_MAC, BOND_DERIVE_MAC_SCHEME)


@dataclass(frozen=True)
class UserDataKey:
    """One key bondhook reads or writes in a NetworkManager profile's user data (`user.data`)."""

    key: str
    written_by_bondhook: bool
    help: str
    option: Option | None = None


class OptionError(ValueError):
    """A bad option value; str() is the ifupdown wording, `for_nm` the NetworkManager one."""

    def __init__(self, option: Option, value: str) -> None:
        self.option, self.value = option, value
        super().__init__(
            f"{option.name} value {shown(value)} is not one of {option.values}; write e.g. '{option.example}'"
        )

    def for_nm(self, key: UserDataKey) -> str:
        return f"user data {key.key} value {shown(self.value)} is not one of {self.option.values}"


# NetworkManager bonds opt in by default: installing bondhook is the admin's choice.
NM_DERIVE_MAC = UserDataKey(
    "bondhook.derive-mac",
    written_by_bondhook=False,
    help=f"{BOND_DERIVE_MAC.values} (default yes): as {BOND_DERIVE_MAC.name} in /etc/network/interfaces; "
    "'no' opts the profile out.",
    option=BOND_DERIVE_MAC,
)
NM_OWNED_MAC = UserDataKey(
    "bondhook.mac",
    written_by_bondhook=True,
    help="the cloned-mac-address bondhook wrote; without it (or when it differs) the value was set "
    "by a person and is never overwritten.",
)
NM_SOURCE = UserDataKey(
    "bondhook.source",
    written_by_bondhook=True,
    help="the source port and its permanent MAC, as PORT=MAC, for the record.",
)
NM_SCHEME = UserDataKey(
    "bondhook.derive-mac-scheme",
    written_by_bondhook=False,
    help=f"{BOND_DERIVE_MAC_SCHEME.values} (default 02): as {BOND_DERIVE_MAC_SCHEME.name}.",
    option=BOND_DERIVE_MAC_SCHEME,
)
NM_KEYS: tuple[UserDataKey, ...] = (NM_DERIVE_MAC, NM_SCHEME, NM_OWNED_MAC, NM_SOURCE)
NM_DEFAULT_CHOICE = "yes"


@dataclass(frozen=True)
class Choice:
    """What bond-derive-mac asks for: nothing, the first eligible port, or one named port."""

    enabled: bool
    port: str | None = None


OFF = Choice(enabled=False)
AUTO = Choice(enabled=True)


# ifupdown2's port lists may hold patterns after these words (`glob swp[1-4]`, `regex eth.*`): the
# ports a pattern matches are known only once ifupdown2 has enslaved them, before bondhook's hook.
PATTERN_WORDS = frozenset({"glob", "regex", "noglob", "noregex"})


def parse_ports(option: str, value: str) -> tuple[str, ...]:
    """The interface names of a port list (bond-slaves) named outright, up to its first pattern,
    if any (the bond's other ports then follow in name order: plan.candidate_ports); ValueError
    naming the first entry that is not a name, so that a typo is reported instead of silently
    narrowing the list."""
    words = value.split()
    names = tuple(words[: next((n for n, word in enumerate(words) if word in PATTERN_WORDS), len(words))])
    bad = next((name for name in names if not is_ifname(name)), None)
    if bad is not None:
        raise ValueError(f"{option} names {shown(bad)}, which is not an interface name; fix the stanza")
    return names


def parse_choice(value: str | None) -> Choice:
    """Parse a bond-derive-mac value; raise ValueError with the fix in its message."""
    text = (value or "").strip()
    if text.lower() in ("", "no"):
        return OFF
    if text.lower() == "yes":
        return AUTO
    if is_ifname(text):
        return Choice(enabled=True, port=text)
    raise OptionError(BOND_DERIVE_MAC, text)


def parse_scheme(value: str | None) -> str:
    """Parse a bond-derive-mac-scheme value; raise ValueError with the fix in its message."""
    text = (value or BOND_DERIVE_MAC_SCHEME.default).strip().lower()
    if text in SCHEMES:
        return text
    raise OptionError(BOND_DERIVE_MAC_SCHEME, text)

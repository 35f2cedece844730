"""What an ifupdown2 guest recorded in `ifupdown2_scenario` (guest/lib.sh), checked the same way
wherever it ran: Debian's ifupdown2 in the package boot (bookworm) and in its own boot (trixie),
upstream's there too. Issue 21's "done when", one function per claim."""

import json
import re

from .vm import GuestRun

A, B, C, D = "52:54:00:c8:76:09", "52:54:00:c8:76:0a", "02:54:00:c8:76:0b", "a0:36:9f:12:34:56"
NICS = [A, B, C, D]
DERIVED_A = "02:54:00:c8:76:09"
LINK_EVENT = re.compile(r"^\d+: (?P<name>[^:@]+)[^<]*<(?P<flags>[^>]*)>.*link/ether (?P<mac>[0-9a-f:]{17})")


def link_events(text: str, name: str) -> list[tuple[bool, str]]:
    """(administratively up, MAC) of each `ip -o monitor link` event of link `name`, in order."""
    found = []
    for line in text.splitlines():
        event = LINK_EVENT.match(line)
        if event and event["name"] == name:
            found.append(("UP" in event["flags"].split(","), event["mac"]))
    return found


def macs_before_up(events: list[tuple[bool, str]]) -> list[str]:
    """The MACs a link carried before it was first up, each run of one MAC once."""
    macs: list[str] = []
    for up, mac in events:
        if up:
            break
        if not macs or macs[-1] != mac:
            macs.append(mac)
    return macs


def one_change_before_up(run: GuestRun, phase: str) -> None:
    """`ifup -a` (fresh, or as at boot): the kernel's random MAC, the first port's on enslavement
    (ifupdown2's bond module), then bondhook's, the last before the bond is up and its only one after."""
    assert run[f"{phase}.rc"] == "0", run.log(f"{phase}.log")
    assert run[f"{phase}.bond0"] == DERIVED_A
    events = link_events(run.log(f"{phase}.monitor"), "bond0")
    before = macs_before_up(events)
    assert before[-1] == DERIVED_A and before.count(DERIVED_A) == 1, events
    first = next(n for n, (_, mac) in enumerate(events) if mac == DERIVED_A)
    assert {mac for _, mac in events[first:]} == {DERIVED_A}, events
    assert any(up for up, _ in events), events


def reloads_change_nothing(run: GuestRun, label: str) -> None:
    """Three `ifreload -a`: not one event on either bond (no down/up, no MAC change)."""
    assert [run[f"{label}-reload{i}.rc"] for i in (1, 2, 3)] == ["0", "0", "0"], run.log(f"{label}-reload1.log")
    text = run.log(f"{label}-reload.monitor")
    assert link_events(text, "bond0") == [] and link_events(text, "bond1") == [], text
    assert link_events(text, "vmbr0"), text  # the monitor listened: the bridge's events of each reload
    assert run[f"{label}-reload.bond0"] == DERIVED_A


def bond_not_opted_in_left_alone(run: GuestRun, label: str) -> None:
    """bond1 takes its first port's MAC, as it would without bondhook, at every step."""
    assert [run[f"{label}-{phase}.bond1"] for phase in ("up", "reload", "boot")] == [C, C, C]


def status_names_it_and_the_bridge_fix_works(run: GuestRun, label: str) -> None:
    assert run[f"{label}-status.rc"] == "0", run.log(f"{label}-status.json")
    rows = {row["bond"]: row for row in json.loads(run.log(f"{label}-status.json"))}
    assert rows["bond0"]["ifupdown2"] == {"stanza": "bond0", "bond-derive-mac": "yes"}
    assert rows["bond0"]["configured"] and rows["bond0"]["mac"] == DERIVED_A
    assert rows["bond1"]["ifupdown2"] == {"stanza": "bond1", "bond-derive-mac": None}
    [bridge] = rows["bond0"]["uppers"]
    assert bridge["mac"] == run[f"{label}-up.vmbr0"]
    if run[f"{label}-up.vmbr0"] == DERIVED_A:  # the bridge took its port's MAC (no udev hash)
        assert bridge["traceable"] and run[f"{label}-fix"] == ""
    else:  # udev hashed the machine-id into the bridge's MAC (bookworm)
        assert not bridge["traceable"] and run[f"{label}-fix"] == f"hwaddress {DERIVED_A}"
        assert f"add 'hwaddress {DERIVED_A}' to the 'iface vmbr0' stanza" in run.log(f"{label}-status.txt")
    assert run[f"{label}-fixed.rc"] == "0" and run[f"{label}-fixed.vmbr0"] == DERIVED_A
    [fixed] = {row["bond"]: row for row in json.loads(run.log(f"{label}-fixed-status.json"))}["bond0"]["uppers"]
    assert fixed["traceable"] and fixed["mac"] == DERIVED_A

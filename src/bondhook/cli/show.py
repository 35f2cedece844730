"""What `status` and `check` print, as text and as JSON: built from plain values. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bondhook.rules.manager import Manager, View
from bondhook.rules.plan import BondStatus
from bondhook.rules.stack import Upper
from bondhook.wire import frames


@dataclass(frozen=True)
class Row:
    """One bond as `status` shows it: its MAC explained, what each manager says of it (in the
    order of `managers.MANAGERS`), what is stacked on it."""

    status: BondStatus
    views: tuple[tuple[Manager, View | None], ...] = ()
    uppers: tuple[Upper, ...] = ()
    dad_failed: tuple[str, ...] = ()


def _upper_dict(upper: Upper) -> dict[str, Any]:
    return {
        "name": upper.name,
        "kind": upper.kind,
        "lower": upper.lower,
        "mac": str(upper.address) if upper.address else None,
        "origin": upper.origin,
        "traceable": upper.traceable,
        "fix": upper.fix,
        "dad_failed": list(upper.dad_failed),
    }


def status_dict(row: Row) -> dict[str, Any]:
    status = row.status
    found: dict[str, Any] = {
        "bond": status.name,
        "mac": str(status.address) if status.address else None,
        "origin": status.origin,
        "traceable": status.traceable,
        "ports": list(status.ports),
        "derived_mac": str(status.derived) if status.derived else None,
        "source_port": status.source,
        "matches": status.matches,
        "configured": status.configured,
        "held_by": status.held,
        "problem": status.problem,
    }
    found.update({manager.key: view and dict(view.data) for manager, view in row.views if manager.key})
    found["dad_failed"] = list(row.dad_failed)
    found["uppers"] = [_upper_dict(upper) for upper in row.uppers]
    return found


def _dad_line(name: str, addresses: tuple[str, ...]) -> str:
    return (
        f"warning: {name}'s {' '.join(addresses)} failed duplicate address detection: another host on the link "
        "has this MAC; see 'bondhook check'"
    )


def format_upper(upper: Upper) -> list[str]:
    indent = "  " * (upper.depth + 1)
    lines = [f"{indent}{upper.name} ({upper.kind} on {upper.lower}): {upper.address or 'no address'} ({upper.origin})"]
    if not upper.traceable:
        lines.append(f"{indent}  warning: not traceable to any port; clones may share it; fix: {upper.fix}")
    if upper.dad_failed:
        lines.append(f"{indent}  {_dad_line(upper.name, upper.dad_failed)}")
    return lines


def format_status(row: Row) -> list[str]:
    """The human view: one headline per bond, details indented, warnings spelled out."""
    status = row.status
    lines = [f"{status.name}: {status.address or 'no address'} ({status.origin})"]
    lines.append(f"  ports: {' '.join(status.ports) or 'none'}")
    if status.derived:
        if status.matches:
            verdict = "matches"
        elif status.held:
            verdict = f"differs; left alone: {status.held}"
        else:
            verdict = f"differs; run 'bondhook apply {status.name}'"
        lines.append(f"  derived: {status.derived} from {status.source} ({verdict})")
    lines.append(f"  bond-derive-mac: {'on' if status.configured else 'off or no ifupdown stanza'}")
    lines.extend(f"  {view.line}" for _, view in row.views if view is not None)
    if status.problem:
        lines.append(f"  problem: {status.problem}")
    if not status.traceable:
        lines.append(f"  warning: {status.address} is not traceable to any port; clones may share it")
    if row.dad_failed:
        lines.append(f"  {_dad_line(status.name, row.dad_failed)}")
    if row.uppers:
        lines.append("  stacked on it:")
        lines.extend(line for upper in row.uppers for line in format_upper(upper))
    return lines


def status_lines(rows: Sequence[Row]) -> list[str]:
    return [line for row in rows for line in format_status(row)] or ["no bonds"]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def format_check(result: dict[str, Any]) -> list[str]:
    """A check's verdict for one bond, with the frames that prove it."""
    bond, seconds = result["bond"], result["seconds"]
    watched = ", ".join(result["watched"])
    probes = f"{_count(result['probes'], 'probe')} sent"
    if result["verdict"] == "twin":
        lines = [
            f"{bond}: TWIN: {_count(result['twin_frames'], 'frame')} from another host with this host's MAC "
            f"({watched}) in {seconds:g} s; {probes}"
        ]
        for sample in result["samples"]:
            vlan = f"VLAN {sample['vlan']}" if sample["vlan"] is not None else "no VLAN"
            kind = frames.ethertype_name(sample["ethertype"])
            lines.append(f"  at {sample['at']:.1f} s: from {sample['source']}, {kind}, {vlan}")
    else:
        frames_seen = _count(result["received"], "frame")
        lines = [f"{bond}: no twin seen in {seconds:g} s (watched {watched}; {frames_seen}; {probes})"]
    if result["looped_frames"]:
        looped = _count(result["looped_frames"], "frame")
        lines.append(f"  note: {looped} of this host's own came back (a loop or a hub)")
    return lines

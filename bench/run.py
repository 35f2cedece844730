"""`make bench`: boot the lab guest once, measure there, add the fleet figures measured here, and
print one table (also written to docs/benchmarks.md with the machine it ran on)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from tests.lab.vm import REPO, GuestRun, boot, results, unavailable_reason

DOC = REPO / "docs" / "benchmarks.md"


def host_hook_cost() -> list[str]:
    """Figure 1a natively, on this host: the hook for a stanza that is not an opted-in bond
    exits after one shell test, before anything touches the network, so it is safe to run here."""
    env = "env -i IFACE=eth0 ADDRFAM=inet METHOD=manual MODE=start PHASE=pre-up"
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        subprocess.run(
            ["hyperfine", "-N", "--warmup", "50", "--runs", "500", "--export-json", export.name,
             f"{env} {REPO / 'if-up.d' / 'bondhook'}", f"{env} /bin/true"],
            check=True, capture_output=True,
        )  # fmt: skip
        hook, true = (r["median"] * 1000 for r in json.load(open(export.name))["results"])
    return [
        f"| hook, stanza not opted in (host, native) | {hook:.2f} | /bin/true {true:.2f} | {hook / true:.2f}x | <= 2x |"
    ]


def host_networkd_steady_cost() -> list[str]:
    """The networkd boot unit's steady state natively, on this host but inside a network and mount
    namespace of its own (veths, tmpfs directories): bench/networkd_steady.sh."""
    script, unit = REPO / "bench" / "networkd_steady.sh", REPO / "systemd" / "bondhook-networkd.service"
    found = subprocess.run(
        ["unshare", "--net", "--mount", "--propagation", "private", "sh", str(script), str(REPO / "src"), str(unit)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    steady, floor = (r["median"] * 1000 for r in json.loads(found)["results"])
    return [
        f"| networkd unit, steady state (host, native) | {steady:.2f} | python3 -I -c pass {floor:.2f} "
        f"| {steady / floor:.2f}x | <= 1.5x |"
    ]


def host_check_flood_cost() -> list[str]:
    """`check`'s CPU time over a 5 s listen, quiet and under a flood of others' frames, natively in a
    network namespace of its own (bench/check_flood.py)."""
    found = json.loads(
        subprocess.run(
            ["unshare", "--net", sys.executable, str(REPO / "bench" / "check_flood.py")],
            check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    quiet, flood = found["quiet"] * 1000, found["flood"] * 1000
    return [
        f"| check --listen 5, CPU under a flood of {found['rate']:,.0f} frames/s (host, native) | {flood:.0f} "
        f"| quiet link {quiet:.0f} | {flood / quiet:.2f}x | <= 1.2x |"
    ]


def ratio(a: str, b: str) -> str:
    return f"{int(a) / int(b):.2f}x" if a.isdigit() and b.isdigit() and int(b) else "?"


Row = tuple[str, str, str, str, str]


def paired(g: dict[str, str], figure: str, key: str, floor: str, target: str) -> Row:
    """A figure timed alternately with its floor (recorded as `key` and `key.floor`); `floor`
    names the floor, `{}` standing for its time."""
    return figure, g[key], floor.format(g[f"{key}.floor"]), ratio(g[key], g[f"{key}.floor"]), target


def rows(g: dict[str, str]) -> list[Row]:
    """(figure, value, floor, ratio, target) rows; times are guest medians in ms."""
    return [
        paired(g, "hook, stanza not opted in (20 runs)", "hook_other.x20", "/bin/true {}", "<= 2x"),
        paired(g, "hook, opted-in bond (keep)", "hook_bond", "import pyroute2 {}", "<= 1.3x"),
        paired(g, "bondhook apply bond0 (keep)", "apply", "import pyroute2 {}", "<= 1.3x"),
        ("python3 -c pass", g["python_pass"], "", "", ""),
        paired(g, "ifup bond0, with bondhook", "ifup_with", "without {}", "(felt)"),
        *(
            paired(g, f"status --json, {n} bonds x 2 ports", f"scale{n}.status",
                   f"pyroute2 dump {{}} (ip -d -j: {g[f'scale{n}.ip']})", "<= 1.5x")
            for n in (16, 64, 256)
        ),
        paired(g, "NM pre-up, steady state (profile written, device right)", "dispatch_steady",
               "python3 -I -c pass {}", "<= 2x"),
        paired(g, "NM pre-up, first activation (profile written over D-Bus)", "dispatch_first",
               "its imports {}", "(reported)"),
        *(
            paired(g, f"nm-sync, {n} bond profiles (+{2 * n} ports); first run {g[f'nm{n}.sync_first']}, "
                   f"wrote {g[f'nm{n}.written']}", f"nm{n}.sync_again", "import pyroute2+dbus {}",
                   f"{g[f'nm{n}.calls']} D-Bus calls")
            for n in (10, 50)
        ),
    ]  # fmt: skip


def import_lines(text: str) -> tuple[list[str], str]:
    """From `python3 -X importtime` output: the heaviest cumulative imports, and how much of the
    whole import time bondhook's own modules take (their self times), which is what it adds."""
    timed = []  # (self us, cumulative us, module, line)
    for line in text.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if line.startswith("import time:") and len(fields) == 3 and fields[1].strip().isdigit():
            timed.append((int(fields[0]), int(fields[1]), fields[2].strip(), line))
    heaviest = [line for *_, line in sorted(timed, key=lambda entry: -entry[1])[:8]]
    own = sum(self_us for self_us, _, module, _ in timed if module.startswith("bondhook"))
    total = sum(self_us for self_us, *_ in timed)
    share = (
        f"bondhook's own modules take {own / 1000:.1f} ms of the {total / 1000:.1f} ms the hook spends importing "
        f"({own / total:.0%}); the rest is the standard library and the libraries it loads."
        if total
        else ""
    )
    return heaviest, share


def table(g: dict[str, str]) -> list[str]:
    lines = ["| figure | guest ms (median) | floor, same run | ratio | target |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows(g)]
    return lines


def main() -> int:
    reason = unavailable_reason()
    if reason:
        print(f"bench: cannot run: {reason}; run `make setup` first", file=sys.stderr)
        return 1
    if len(sys.argv) == 3 and sys.argv[1] == "--from":  # re-render a finished guest run
        out = Path(sys.argv[2])
        run = GuestRun(out, results(out), 0.0)
    else:
        out = Path(tempfile.mkdtemp(prefix="bondhook-bench-"))
        print("bench: booting the lab guest (Debian's kernel, qemu TCG; about 15 min) ...", file=sys.stderr)
        macs = ["52:54:00:c8:76:09", "52:54:00:c8:76:0a"]
        env = {"BENCH_RUNS": os.environ.get("BENCH_RUNS", "3")}
        run = boot(str(REPO / "bench" / "guest.sh"), macs, out, env, timeout=3 * 3600)
    guest = table(run.results) if run.results.get("done") == "1" else [f"guest failed: see {out}/guest.log"]
    guest[2:2] = host_hook_cost() + host_networkd_steady_cost() + host_check_flood_cost()
    print("bench: fleet uniqueness on this host ...", file=sys.stderr)
    fleet_lines = subprocess.run(
        [sys.executable, "-m", "bench.fleet"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    ).stdout
    importtime_file = run.out / "importtime.txt"
    importtime, own_share = import_lines(importtime_file.read_text() if importtime_file.exists() else "")
    machine = f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, host kernel {platform.release()}"
    report = [
        "# Benchmarks", "", f"`make bench`, {date.today()}, on {machine}; guest: Debian's kernel under qemu TCG,",
        "one vCPU, 1 GiB. Guest times are medians (ms) and only their ratios mean anything: Python runs",
        "about 20x slower under TCG than natively.", "", *guest, "",
        "`python3 -X importtime -m bondhook.ifupdown` in the guest, heaviest cumulative imports (us):", "",
        "```", *importtime, "```", "", own_share, "",
        "Fleet uniqueness (host):", "", "```", *fleet_lines.splitlines(), "```",
    ]  # fmt: skip
    print("\n".join(report))
    DOC.write_text("\n".join(report) + "\n")
    print(f"bench: written to {DOC.relative_to(REPO)}; guest logs in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

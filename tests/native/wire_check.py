"""Run `check`'s wire layer in the network namespace this process was started in and print what
each socket saw, as JSON: the native tests' way to put a check on a veth standing in for a bond.
Usage: wire_check.py JSON, with targets [{bond, watched, carriers: [{mac, vlans, ipv4}]}],
seconds and probe."""

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from bondhook.rules.mac import Mac
from bondhook.rules.stack import Carrier
from bondhook.wire import socket_io


def target(spec: dict) -> socket_io.Target:
    carriers = tuple(
        Carrier(Mac.parse(c["mac"]), tuple(c.get("vlans", ())), tuple(socket.inet_aton(a) for a in c.get("ipv4", ())))
        for c in spec.get("carriers", ())
    )
    return socket_io.Target(spec["bond"], frozenset(Mac.parse(m) for m in spec["watched"]), carriers)


def main() -> None:
    request = json.loads(sys.argv[1])
    began = time.monotonic()
    watches = socket_io.check([target(t) for t in request["targets"]], request["seconds"], request["probe"])
    took = time.monotonic() - began
    print(json.dumps({
        "took": took,
        "watches": [{
            "bond": w.bond, "counts": w.counts, "probes": w.probes, "passed": w.passed,
            "kernel_drops": w.kernel_drops, "undecided": w.undecided, "error": w.error,
            "samples": [[at, seen.kind, str(seen.source), seen.ethertype] for at, seen in w.samples],
        } for w in watches],
    }))  # fmt: skip


if __name__ == "__main__":
    main()

"""Fleet uniqueness: derive bond MACs for 10^6 distinct NIC MACs drawn from the real IEEE OUI
registry (Debian's ieee-data) and count collisions between derived MACs, per scheme; then the
expected collisions in one L2 domain of N hosts (one bond each), from the registry's structure."""

from __future__ import annotations

import csv
import hashlib
import random
import sys
from collections import Counter
from collections.abc import Callable
from math import comb

from bondhook.rules.mac import Mac, derive

OUI_CSV = "/usr/share/ieee-data/oui.csv"
SAMPLES = 10**6
DOMAINS = (10**3, 10**4)


def load_ouis(path: str = OUI_CSV) -> list[int]:
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        return [int(row["Assignment"], 16) for row in csv.DictReader(handle) if row["Registry"] == "MA-L"]


def sample(ouis: list[int], count: int, seed: int = 1) -> list[Mac]:
    """Distinct NIC MACs: a registry OUI chosen uniformly, a uniform 24-bit NIC part."""
    rng = random.Random(seed)
    seen: set[int] = set()
    while len(seen) < count:
        seen.add(rng.choice(ouis) << 24 | rng.getrandbits(24))
    return [Mac(tuple(value.to_bytes(6, "big"))) for value in seen]  # type: ignore[arg-type]


def ul_bit(mac: Mac) -> Mac:
    """Set the U/L bit (what bond-derive-mac-scheme ul-bit does when the result is not the port's)."""
    candidate = Mac((mac.octets[0] | 0x02, *mac.octets[1:]))  # type: ignore[arg-type]
    return candidate if candidate != mac else derive(mac)


def hashed(mac: Mac) -> Mac:
    """A 46-bit hash with the local, unicast bits forced: not traceable, for comparison only."""
    digest = hashlib.sha256(bytes(mac.octets)).digest()
    return Mac(((digest[0] & 0xFC) | 0x02, *digest[1:6]))  # type: ignore[arg-type]


SCHEMES: dict[str, Callable[[Mac], Mac]] = {"02 (default)": derive, "ul-bit": ul_bit, "hash": hashed}


def pair_probability(ouis: list[int]) -> dict[str, float]:
    """P(two random NICs' derived MACs collide), exactly from the registry's OUI list."""
    k = len(ouis)

    def other_oui_same_image(image: Callable[[int], int]) -> float:
        """P(two OUIs drawn at random differ but map to the same derived OUI)."""
        return sum(c * c - c for c in Counter(map(image, ouis)).values()) / (k * k)

    return {
        "02 (default)": other_oui_same_image(lambda oui: oui & 0xFFFF) * 2.0**-24,
        "ul-bit": other_oui_same_image(lambda oui: oui | 0x020000) * 2.0**-24,
        "hash": 2.0**-46,
    }


def main() -> int:
    ouis = load_ouis()
    nics = sample(ouis, SAMPLES)
    print(f"fleet: {len(ouis)} MA-L OUIs from {OUI_CSV}; {len(nics)} distinct NIC MACs")
    probability = pair_probability(ouis)
    print(
        f"{'scheme':<14} {'collisions in 10^6':>18} "
        + " ".join(f"{'E per ' + f'{n:,}' + ' hosts':>20}" for n in DOMAINS)
    )
    for name, scheme in SCHEMES.items():
        collisions = len(nics) - len({scheme(nic) for nic in nics})
        expected = " ".join(f"{comb(n, 2) * probability[name]:>20.2e}" for n in DOMAINS)
        print(f"{name:<14} {collisions:>18} {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

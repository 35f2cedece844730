"""The demo's core, as `make demo` runs it: two cloned hosts on one L2 segment."""

import pytest

from . import demo

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def found(lab_out, release):
    work = lab_out / release.name / "demo"
    work.mkdir(parents=True, exist_ok=True)
    result = demo.run(work, progress=lambda line: None, release=release)
    for got in result.values():
        assert got.get("done") == "1", got
    print("\n".join(demo.table(result)))
    return result


def test_without_bondhook_the_clones_collide_and_traffic_breaks(found):
    one, two = (found[h] for h in demo.HOSTS)
    # udev's hashed MAC was on each bond before ifup: waited for, not hoped for
    assert one["persistent.udev_assign"] == two["persistent.udev_assign"] == "3"
    assert one["persistent.mac"] == two["persistent.mac"]
    verdicts = [demo.ping_verdict(found[h], "persistent") for h in demo.HOSTS]
    assert all(v.startswith("FAILS") or v == "only itself answers" for v in verdicts), verdicts
    assert sum(int(found[h]["persistent.dmesg_dup"]) for h in demo.HOSTS) >= 1


def test_with_ifenslaves_link_bonds_reuse_their_first_nics_mac(found):
    for host, nics in demo.HOSTS.items():
        assert found[host]["stolen.mac"] == nics[0]


def test_with_bondhook_each_bond_is_unique_traceable_and_reachable(found):
    for host, nics in demo.HOSTS.items():
        assert found[host]["bondhook.mac"] == "02" + nics[0][2:]
        assert demo.ping_verdict(found[host], "bondhook") == "ok"
        assert found[host]["bondhook.ping"] == "3 received"

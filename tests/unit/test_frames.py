"""Frame classification for `bondhook check`, on frames as a bond's packet socket delivers them."""

import struct

import pytest

from bondhook.rules.mac import Mac
from bondhook.wire import frames
from bondhook.wire.frames import LOOPED, ODD, OTHER, OWN, TWIN, SentFrames, classify

OURS = Mac.parse("02:54:00:c8:76:09")
BRIDGE = Mac.parse("02:54:00:c8:76:0a")
WATCHED = frozenset({OURS, BRIDGE})
HOST, MULTICAST = 0, 2  # sll_pkttype: PACKET_HOST, PACKET_MULTICAST

# An IPv6 neighbour solicitation for fe80::54:ff:fec8:7609 from 02:54:00:c8:76:09, as Linux sends
# it for duplicate address detection (source ::, to the solicited-node group).
DAD_NS = bytes.fromhex(
    "3333ffc87609" "025400c87609" "86dd"
    "6000000000183aff" + "00" * 16 + "ff0200000000000000000001ffc87609"
    "8700" "0000" "00000000" "fe80000000000000005400fffec87609"
)  # fmt: skip
ARP = bytes.fromhex(
    "ffffffffffff" "525400c8760a" "0806" "0001080006040001525400c8760a0a000001" + "00" * 10
)  # fmt: skip


def tagged(frame: bytes, vlan: int, tpid: int = 0x8100) -> bytes:
    return frame[:12] + struct.pack("!HH", tpid, vlan) + frame[12:]


def test_a_frame_this_host_sent_is_its_own():
    seen = classify(DAD_NS, frames.PACKET_OUTGOING, WATCHED, SentFrames())
    assert seen == frames.Seen(OWN, OURS, 0x86DD, None)


def test_a_received_frame_with_our_mac_that_we_did_not_send_is_a_twin():
    seen = classify(DAD_NS, MULTICAST, WATCHED, SentFrames())
    assert (seen.kind, seen.source, frames.ethertype_name(seen.ethertype)) == (TWIN, OURS, "IPv6 (0x86dd)")


def test_a_twin_of_a_mac_stacked_on_the_bond_counts():
    frame = DAD_NS[:6] + bytes(BRIDGE.octets) + DAD_NS[12:]
    assert classify(frame, MULTICAST, WATCHED, SentFrames()).kind == TWIN


def test_our_own_frame_come_back_is_looped_not_a_twin():
    sent = SentFrames()
    sent.add(DAD_NS)
    assert classify(DAD_NS, MULTICAST, WATCHED, sent).kind == LOOPED
    assert classify(DAD_NS[:-1] + b"\x0a", MULTICAST, WATCHED, sent).kind == TWIN


def test_other_hosts_frames_are_other():
    seen = classify(ARP, 1, WATCHED, SentFrames())
    assert (seen.kind, str(seen.source)) == (OTHER, "52:54:00:c8:76:0a")
    assert frames.ethertype_name(seen.ethertype) == "ARP (0x0806)"


@pytest.mark.parametrize("tpid", [0x8100, 0x88A8])
def test_a_tag_in_the_bytes_gives_the_vlan_and_the_inner_ethertype(tpid):
    seen = classify(tagged(DAD_NS, 100, tpid), MULTICAST, WATCHED, SentFrames())
    assert (seen.kind, seen.vlan, seen.ethertype) == (TWIN, 100, 0x86DD)


def test_stacked_tags_report_the_outer_vlan():
    seen = classify(tagged(tagged(DAD_NS, 7), 200, 0x88A8), MULTICAST, WATCHED, SentFrames())
    assert (seen.vlan, seen.ethertype) == (200, 0x86DD)


def test_a_vlan_the_kernel_took_out_is_reported():
    seen = classify(DAD_NS, MULTICAST, WATCHED, SentFrames(), vlan=42)
    assert (seen.kind, seen.vlan) == (TWIN, 42)


def test_a_looped_vlan_frame_matches_only_on_its_own_vlan():
    sent = SentFrames()
    sent.add(DAD_NS, 42)
    assert classify(DAD_NS, MULTICAST, WATCHED, sent, vlan=42).kind == LOOPED
    assert classify(DAD_NS, MULTICAST, WATCHED, sent, vlan=43).kind == TWIN


@pytest.mark.parametrize("frame", [b"", b"\x33", DAD_NS[:13]])
def test_a_truncated_frame_is_odd_never_a_twin(frame):
    assert classify(frame, MULTICAST, WATCHED, SentFrames()).kind == ODD


def test_a_truncated_vlan_tag_is_odd():
    assert classify(tagged(DAD_NS, 5)[:16], MULTICAST, WATCHED, SentFrames()) == frames.Seen(ODD, OURS)


def test_an_unknown_ethertype_is_named_by_number():
    assert frames.ethertype_name(0x88B5) == "EtherType (0x88b5)"
    assert frames.ethertype_name(None) == "unknown"


def test_sent_frames_keep_only_the_newest():
    sent = SentFrames(limit=2)
    for n in range(3):
        sent.add(bytes([n]) * 20)
    assert (None, bytes([0]) * 20) not in sent and (None, bytes([2]) * 20) in sent


def _sum16(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_the_probe_goes_to_the_solicited_node_group_of_our_link_local_address():
    probe = frames.probe(OURS, bytes.fromhex("0102030405060708"))
    assert probe[:6] == bytes.fromhex("3333ffc87609") and probe[6:12] == bytes(OURS.octets)
    ipv6 = probe[14:54]
    source, group = ipv6[8:24], ipv6[24:40]
    assert group == bytes.fromhex("ff0200000000000000000001ffc87609")
    # a made-up link-local source ending like ours: the twin solicits it from the same group
    assert source[:8] == bytes.fromhex("fe80000000000000") and source[13:] == bytes.fromhex("c87609")
    assert source != frames.link_local(OURS)
    body = probe[54:]
    assert body[0] == frames.ECHO_REQUEST and frames.PROBE_MARK in body
    assert struct.unpack("!H", ipv6[4:6])[0] == len(body)
    pseudo = source + group + struct.pack("!I3xB", len(body), frames.ICMPV6)
    assert _sum16(pseudo + body + b"\0" * (len(body) % 2)) == 0xFFFF  # checksum verifies


def test_two_probes_differ_so_a_twins_probe_is_never_taken_for_our_own():
    assert frames.probe(OURS, b"a" * 8) != frames.probe(OURS, b"b" * 8)


def test_link_local_is_eui64():
    assert frames.link_local(OURS).hex() == "fe80000000000000005400fffec87609"


def test_a_frame_sent_tagged_matches_its_copy_the_kernel_untagged():
    """A probe goes out with its 802.1Q tag in the bytes; the copy that comes back has it in PACKET_AUXDATA."""
    sent = SentFrames()
    sent.add(frames.tagged(DAD_NS, (100,)))
    assert classify(DAD_NS, MULTICAST, WATCHED, sent, vlan=100).kind == LOOPED
    assert classify(DAD_NS, MULTICAST, WATCHED, sent).kind == TWIN


def test_a_frame_of_stacked_tags_is_read_no_further_than_two():
    frame = DAD_NS[:12] + struct.pack("!HH", 0x8100, 7) * 300 + DAD_NS[12:]
    seen = classify(frame, MULTICAST, WATCHED, SentFrames())
    assert (seen.kind, seen.vlan, seen.ethertype) == (TWIN, 7, 0x8100)


def test_the_arp_probe_asks_for_our_address_from_nowhere_and_asks_the_answer_to_everyone():
    probe = frames.arp_probe(OURS, bytes((192, 0, 2, 1)), (100,))
    assert probe[:6] == b"\xff" * 6 and probe[6:12] == bytes(OURS.octets)
    assert probe[12:18] == bytes.fromhex("8100" "0064" "0806")  # fmt: skip
    op, sha, spa, tpa = struct.unpack("!6xH6s4s6x4s", probe[18:])
    assert (op, sha, spa, tpa) == (1, b"\xff" * 6, bytes(4), bytes((192, 0, 2, 1)))


def test_a_round_of_probes_is_one_icmpv6_probe_per_mac_and_one_arp_probe_per_address():
    carriers = (
        frames.Carrier(OURS, (), (bytes((192, 0, 2, 1)), bytes((192, 0, 2, 1)))),
        frames.Carrier(OURS, (100,), (bytes((198, 51, 100, 1)),)),
        frames.Carrier(BRIDGE),
    )
    round_ = frames.probes(carriers, b"n" * 8)
    assert [frame[12:14] for frame in round_] == [b"\x86\xdd", b"\x86\xdd", b"\x08\x06", b"\x81\x00"]
    many = (frames.Carrier(OURS, (), tuple(bytes((10, 0, n // 256, n % 256)) for n in range(500))),)
    assert len(frames.probes(many, b"n" * 8)) == frames.PROBES_MAX

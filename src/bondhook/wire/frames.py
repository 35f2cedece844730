"""Ethernet frames as `bondhook check` sees them on a bond: who sent each one, and the probes it
sends. Pure: bytes in, values out, so every rule is tested on recorded frames.

A twin is another host using one of our MACs. On the bond's packet socket the kernel marks each
frame this host sent (PACKET_OUTGOING); any other frame whose source is one of our MACs came from
elsewhere: a twin, or one of our own frames that a loop or a hub sent back. The two are told
apart by content: a frame byte-identical (on the same VLAN) to one this host sent moments ago,
on any of the bonds a check watches, is ours, come back.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from bondhook.rules.mac import Mac
from bondhook.rules.stack import Carrier

ETH_HEADER = 14
VLAN_TAG = 4
VLAN_TPIDS = (0x8100, 0x88A8)
MAX_TAGS = 2  # 802.1ad over 802.1Q; a frame stacking more is read no further (it costs, and means nothing)
ETH_P_IPV6 = 0x86DD
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent (linux/if_packet.h)
ICMPV6 = 58
ECHO_REQUEST = 128
PROBE_MARK = b"bondhook check "
ETHERTYPES = {0x0800: "IPv4", 0x0806: "ARP", ETH_P_IPV6: "IPv6", 0x88CC: "LLDP", 0x8809: "slow (LACP)"}

# What a frame is, for the MACs a check watches.
OWN, LOOPED, TWIN, OTHER, ODD = "own", "looped", "twin", "other", "odd"


@dataclass(frozen=True)
class Seen:
    """One frame's verdict: kind, its source MAC, EtherType (after any VLAN tags) and VLAN id."""

    kind: str
    source: Mac | None = None
    ethertype: int | None = None
    vlan: int | None = None


def ethertype_name(ethertype: int | None) -> str:
    if ethertype is None:
        return "unknown"
    return f"{ETHERTYPES.get(ethertype, 'EtherType')} (0x{ethertype:04x})"


def normal(frame: bytes, vlan: int | None) -> tuple[int | None, bytes]:
    """A frame as the kernel delivers it looped back: its outer 802.1Q tag taken out into `vlan`
    (a probe is sent with its tag in the bytes; the copy that comes back has it in PACKET_AUXDATA)."""
    if vlan is None and len(frame) >= ETH_HEADER + VLAN_TAG and struct.unpack_from("!H", frame, 12)[0] == 0x8100:
        return struct.unpack_from("!H", frame, 14)[0] & 0x0FFF, frame[:12] + frame[16:]
    return vlan, frame


def classify(frame: bytes, pkttype: int, watched: frozenset[Mac], sent: SentFrames, vlan: int | None = None) -> Seen:
    """What `frame` is, given its packet type, the MACs this host uses and the frames it sent.

    `vlan` is the id the kernel took out of the frame (PACKET_AUXDATA); 802.1Q or 802.1ad tags
    still in the bytes are read here, at most MAX_TAGS of them. A frame too short for its headers
    is ODD, never a twin.
    """
    if len(frame) < ETH_HEADER:
        return Seen(ODD)
    source = Mac.from_bytes(frame[6:12])
    offset, ethertype, outer = 12, struct.unpack_from("!H", frame, 12)[0], vlan
    for _ in range(MAX_TAGS):
        if ethertype not in VLAN_TPIDS:
            break
        if len(frame) < offset + 2 + VLAN_TAG:
            return Seen(ODD, source)
        tci, ethertype = struct.unpack_from("!HH", frame, offset + 2)
        outer = tci & 0x0FFF if outer is None else outer
        offset += VLAN_TAG
    if source not in watched:
        kind = OTHER
    elif pkttype == PACKET_OUTGOING:
        kind = OWN
    elif normal(frame, vlan) in sent:
        kind = LOOPED
    else:
        kind = TWIN
    return Seen(kind, source, ethertype, outer)


class SentFrames:
    """The last frames this host sent on the bonds a check watches, to recognise them when they
    come back, on the same bond or another. Bounded: a check on a busy host keeps the newest
    `limit`, as hashes (a frame's bytes are not kept)."""

    def __init__(self, limit: int = 16384) -> None:
        self._order: deque[int] = deque()
        self._members: set[int] = set()
        self._limit = limit

    def add(self, frame: bytes, vlan: int | None = None) -> None:
        key = hash(normal(frame, vlan))
        if key in self._members:
            return
        self._order.append(key)
        self._members.add(key)
        if len(self._order) > self._limit:
            self._members.discard(self._order.popleft())

    def __contains__(self, key: object) -> bool:
        return hash(key) in self._members


def link_local(mac: Mac) -> bytes:
    """The EUI-64 IPv6 link-local address the kernel derives from `mac` (RFC 4291)."""
    o = mac.octets
    return bytes((0xFE, 0x80, 0, 0, 0, 0, 0, 0, o[0] ^ 0x02, o[1], o[2], 0xFF, 0xFE, o[3], o[4], o[5]))


def solicited_node(address: bytes) -> bytes:
    """The solicited-node multicast group of an IPv6 address: only its holders listen."""
    return bytes.fromhex("ff0200000000000000000001ff") + address[13:]


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def probe(mac: Mac, nonce: bytes) -> bytes:
    """One ICMPv6 echo request a twin of `mac` answers, and nobody else.

    Sent to the solicited-node group of `mac`'s own link-local address, it reaches only hosts
    holding that address: a twin. Its source address is a made-up link-local one (`nonce` picks
    the first five octets of its interface id) ending like `mac`'s, so the twin, to answer,
    must first solicit it from that same group, from `mac`: a frame this host receives. A twin
    whose own address failed duplicate address detection cannot answer; the probe itself then
    shows this host to a twin that is checking at the same time.
    """
    target = link_local(mac)
    source = bytes((0xFE, 0x80, 0, 0, 0, 0, 0, 0)) + (nonce[:5].ljust(5, b"\0")) + target[13:]
    group = solicited_node(target)
    body = bytearray(struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, int.from_bytes(nonce[:2], "big"), 1))
    body += PROBE_MARK + nonce
    pseudo = source + group + struct.pack("!I3xB", len(body), ICMPV6)
    struct.pack_into("!H", body, 2, _checksum(pseudo + bytes(body)))
    ipv6 = struct.pack("!IHBB", 6 << 28, len(body), ICMPV6, 255) + source + group
    ethernet = bytes((0x33, 0x33)) + group[12:] + bytes(mac.octets) + struct.pack("!H", ETH_P_IPV6)
    return ethernet + ipv6 + bytes(body)


def tagged(frame: bytes, vlans: tuple[int, ...]) -> bytes:
    """`frame` with an 802.1Q tag for each VLAN id, outermost first, after its MAC addresses."""
    tags = b"".join(struct.pack("!HH", 0x8100, vlan) for vlan in vlans)
    return frame[:12] + tags + frame[12:]


def arp_probe(mac: Mac, address: bytes, vlans: tuple[int, ...] = ()) -> bytes:
    """An ARP probe (RFC 5227: sender address 0.0.0.0, so no host updates a cache) for an IPv4
    address this host holds, from `mac`. A twin holding the same address answers it, whatever its
    IPv6 state. Its sender hardware address is the broadcast one, so that the answer goes to every
    port: a learning switch never delivers an answer addressed to `mac` itself, since the twin's
    answer teaches it that `mac` lives on the twin's port."""
    broadcast = b"\xff" * 6
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + broadcast + bytes(4) + bytes(6) + address
    return tagged(broadcast + bytes(mac.octets) + struct.pack("!H", ETH_P_ARP) + arp, vlans)


PROBES_MAX = 64  # frames per round on one bond, however many addresses it carries


def probes(carriers: tuple[Carrier, ...], nonce: bytes) -> tuple[bytes, ...]:
    """One round of probes for one bond: an ICMPv6 probe per MAC (a twin with a valid link-local
    address answers) and an ARP probe per IPv4 address (a twin holding it answers), at most
    PROBES_MAX frames. `nonce` (8 random bytes) makes this round's ICMPv6 probes its own."""
    sent = [probe(mac, nonce) for mac in sorted({carrier.mac for carrier in carriers})]
    sent += [arp_probe(c.mac, address, c.vlans) for c in carriers for address in dict.fromkeys(c.ipv4)]
    return tuple(dict.fromkeys(sent))[:PROBES_MAX]

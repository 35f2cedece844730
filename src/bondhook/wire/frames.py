"""Ethernet frames as `bondhook check` sees them on a bond: who sent each one, and the probe it
sends. Pure: bytes in, values out, so every rule is tested on recorded frames.

A twin is another host using one of our MACs. On the bond's packet socket the kernel marks each
frame this host sent (PACKET_OUTGOING); any other frame whose source is one of our MACs came from
elsewhere: a twin, or one of our own frames that a loop or a hub sent back. The two are told
apart by content: a frame byte-identical to one we sent moments ago is ours, come back.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from bondhook.rules.mac import Mac

ETH_HEADER = 14
VLAN_TAG = 4
VLAN_TPIDS = (0x8100, 0x88A8)
ETH_P_IPV6 = 0x86DD
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


def classify(frame: bytes, pkttype: int, watched: frozenset[Mac], sent: SentFrames, vlan: int | None = None) -> Seen:
    """What `frame` is, given its packet type, the MACs this host uses and the frames it sent.

    `vlan` is the id the kernel took out of the frame (PACKET_AUXDATA); an 802.1Q or 802.1ad
    tag still in the bytes is read here. A frame too short for its headers is ODD, never a twin.
    """
    if len(frame) < ETH_HEADER:
        return Seen(ODD)
    source = Mac.from_bytes(frame[6:12])
    offset, ethertype = 12, struct.unpack_from("!H", frame, 12)[0]
    while ethertype in VLAN_TPIDS:
        if len(frame) < offset + 2 + VLAN_TAG:
            return Seen(ODD, source)
        tci, ethertype = struct.unpack_from("!HH", frame, offset + 2)
        vlan = tci & 0x0FFF if vlan is None else vlan
        offset += VLAN_TAG
    if source not in watched:
        kind = OTHER
    elif pkttype == PACKET_OUTGOING:
        kind = OWN
    elif (vlan, frame) in sent:
        kind = LOOPED
    else:
        kind = TWIN
    return Seen(kind, source, ethertype, vlan)


class SentFrames:
    """The last frames this host sent on a bond, to recognise them when they come back. Bounded:
    a check that sees a flood keeps only the newest."""

    def __init__(self, limit: int = 1024) -> None:
        self._order: deque[tuple[int | None, bytes]] = deque()
        self._members: set[tuple[int | None, bytes]] = set()
        self._limit = limit

    def add(self, frame: bytes, vlan: int | None = None) -> None:
        key = (vlan, frame)
        if key in self._members:
            return
        self._order.append(key)
        self._members.add(key)
        if len(self._order) > self._limit:
            self._members.discard(self._order.popleft())

    def __contains__(self, key: object) -> bool:
        return key in self._members


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

"""rtnetlink messages for what sysfs cannot answer: a link's alternative names (`ip link property
add ... altname`, udev's AlternativeNamesPolicy=), which networkd's Name= matches too, and its
permanent address (the steady check reads it here rather than load the ioctl machinery); the
IPv4 addresses `check`'s ARP probes ask for. Pure: the request's bytes out, the dump's bytes in."""

from __future__ import annotations

import struct

RTM_NEWLINK = 16
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_GETADDR = 22
AF_INET = 2
IFA_ADDRESS = 1
IFA_LOCAL = 2
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
IFLA_IFNAME = 3
IFLA_PERM_ADDRESS = 54
IFLA_EXT_MASK = 29
IFLA_PROP_LIST = 52
IFLA_ALT_IFNAME = 53
RTEXT_FILTER_SKIP_STATS = 1 << 3
_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER
_HEADER = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_ATTR = struct.Struct("=HH")
_IFADDR = struct.Struct("=BBBBI")


class DumpError(ValueError):
    """The kernel answered with an error, or with bytes that are not rtnetlink."""


def dump_request(seq: int) -> bytes:
    """RTM_GETLINK for every link, without statistics (they are most of a dump's bytes)."""
    attr = _ATTR.pack(8, IFLA_EXT_MASK) + struct.pack("=I", RTEXT_FILTER_SKIP_STATS)
    body = _IFINFO.pack(0, 0, 0, 0, 0) + attr
    return _HEADER.pack(_HEADER.size + len(body), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def addr_request(seq: int) -> bytes:
    """RTM_GETADDR for every IPv4 address."""
    body = _IFADDR.pack(AF_INET, 0, 0, 0, 0)
    return _HEADER.pack(_HEADER.size + len(body), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def _attrs(data: bytes) -> list[tuple[int, bytes]]:
    found = []
    offset = 0
    while offset + _ATTR.size <= len(data):
        length, kind = _ATTR.unpack_from(data, offset)
        if length < _ATTR.size or offset + length > len(data):
            raise DumpError("truncated attribute")
        found.append((kind & _TYPE_MASK, data[offset + _ATTR.size : offset + length]))
        offset += (length + 3) & ~3
    return found


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _messages(chunk: bytes, seq: int, reply: int) -> tuple[list[bytes], bool]:
    """The bodies of one read's `reply` messages of dump `seq`, and whether the dump is done."""
    found = []
    offset = 0
    while offset + _HEADER.size <= len(chunk):
        length, kind, _flags, msg_seq, _pid = _HEADER.unpack_from(chunk, offset)
        if length < _HEADER.size or offset + length > len(chunk):
            raise DumpError("truncated message")
        body = chunk[offset + _HEADER.size : offset + length]
        offset += (length + 3) & ~3
        if msg_seq != seq:
            continue
        if kind == NLMSG_DONE:
            return found, True
        if kind == NLMSG_ERROR:
            errno = -struct.unpack_from("=i", body)[0] if len(body) >= 4 else 0
            raise DumpError(f"the dump failed (errno {errno})")
        if kind == reply:
            found.append(body)
    return found, False


def links(chunk: bytes, seq: int) -> tuple[dict[int, tuple[tuple[str, ...], bytes | None]], bool]:
    """One read's worth of the link dump: link index -> (its alternative names, its permanent
    address or None), and whether the dump is done. DumpError for a kernel error or malformed bytes."""
    bodies, done = _messages(chunk, seq, RTM_NEWLINK)
    found: dict[int, tuple[tuple[str, ...], bytes | None]] = {}
    for body in bodies:
        if len(body) < _IFINFO.size:
            continue
        index = _IFINFO.unpack_from(body)[2]
        attrs = _attrs(body[_IFINFO.size :])
        names = tuple(
            _name(value)
            for attr, nested in attrs
            if attr == IFLA_PROP_LIST
            for sub, value in _attrs(nested)
            if sub == IFLA_ALT_IFNAME
        )
        perm = next((value for attr, value in attrs if attr == IFLA_PERM_ADDRESS), None)
        found[index] = (names, perm)
    return found, done


def ipv4(chunk: bytes, seq: int) -> tuple[list[tuple[int, bytes]], bool]:
    """One read's worth of the address dump: (link index, IPv4 address) pairs, and whether the
    dump is done. The local address (IFA_LOCAL), which differs from IFA_ADDRESS on a point-to-point link."""
    bodies, done = _messages(chunk, seq, RTM_NEWADDR)
    found = []
    for body in bodies:
        if len(body) < _IFADDR.size:
            continue
        family, _, _, _, index = _IFADDR.unpack_from(body)
        attrs = dict(_attrs(body[_IFADDR.size :]))
        address = attrs.get(IFA_LOCAL, attrs.get(IFA_ADDRESS))
        if family == AF_INET and address is not None and len(address) == 4:
            found.append((index, address))
    return found, done

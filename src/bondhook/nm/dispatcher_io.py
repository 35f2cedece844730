"""NetworkManager's dispatcher events: `main()` with IFACE ACTION as argv, run (`python3 -I -c`) by
the pre-up.d script for a bond's pre-up, with the activation's CONNECTION_UUID and
CONNECTION_FILENAME, and by the dispatcher.d script for an `up` or `down` event after which a bond
may have lost its MAC (`again_io`).

NetworkManager's dispatcher runs one request at a time for the whole host, so every moment spent
here delays every other device's events. Two paths:
- steady state, every activation after the first: NetworkManager's files and sysfs show that the
  profile records the derived MAC (`steady`) and the device carries it: exit, having imported
  nothing heavier than `os`, logged nothing, asked nobody;
- otherwise: the full decision. If the profile needs no write, only the device's address is set
  (NetworkManager 1.42 does not apply a bond's cloned MAC when the bond is brought up through a
  port profile); else the profiles are read and the bond's written over D-Bus (`dbus_io.sync`), and
  the device set for this activation.
Either way the MAC the bond was left with is recorded for this activation (`record_io`), or the
record removed when the MAC is not bondhook's to keep. The heavy modules (logging, the value types,
asyncio and dbus-next) load only on the second path.
"""

from __future__ import annotations

import os
import sys

from bondhook.kernel import sysfs_io
from bondhook.nm import keyfile_io, record_io, steady
from bondhook.nm.keyfile import Doubt
from bondhook.rules.names import is_ifname

_HEX = frozenset("0123456789abcdefABCDEF")


def _is_uuid(text: str) -> bool:
    """8-4-4-4-12 hex digits, in full."""
    parts = text.split("-")
    return [len(part) for part in parts] == [8, 4, 4, 4, 12] and all(_HEX.issuperset(part) for part in parts)


def steady_target(uuid: str, iface: str, filename: str) -> str | None:
    """The MAC the bond must carry when its profile needs no write, from the files; None when
    the files leave any doubt."""
    dirs = keyfile_io.KEYFILE_DIRS
    if os.path.dirname(filename) not in dirs or not filename.endswith(keyfile_io.SUFFIX):
        return None
    try:
        profiles = keyfile_io.load(dirs)
    except Doubt:
        return None
    return steady.target(uuid, iface, filename, profiles, sysfs_io)


def _unrecorded(iface: str, mac: str) -> str | None:
    """Why this activation's MAC could not be recorded; None once it is (or already was)."""
    index = sysfs_io.ifindex(iface)
    if index is None:
        return "the bond is gone"
    try:
        record_io.remember(iface, index, mac)
    except OSError as exc:
        return str(exc)
    return None


def _set_device(iface: str, mac: str) -> None:
    """This activation's device carries the profile's MAC now, read back before it is said, and
    recorded for the events that may undo it."""
    import logging

    log = logging.getLogger("bondhook")
    was = sysfs_io.address(iface)
    if was != mac:
        sysfs_io.set_address(iface, mac)
        log.info("%s: device MAC changed from %s to %s for this activation", iface, was, mac)
    why = _unrecorded(iface, mac)
    if why is not None:
        text = "%s: MAC not recorded in %s/%s (%s), so a later undo of it goes unseen; %s must be root's directory"
        log.error(text, iface, record_io.RUN_DIR, record_io.NM_DIR, why, record_io.RUN_DIR)


def _full(iface: str, uuid: str, known: str | None) -> None:
    """Everything but the silent steady state, with logging and the budget set up."""
    import logging

    from bondhook.rules.text import shown

    log = logging.getLogger("bondhook")
    if not is_ifname(iface) or not _is_uuid(uuid):
        text = "interface %s, CONNECTION_UUID %s: not what NetworkManager passes; nothing done"
        log.error(text, shown(iface), shown(uuid))
        return
    if not sysfs_io.is_bond(iface):
        return
    try:
        record_io.forget(iface)  # until this activation's MAC is set and known to be bondhook's
    except OSError:
        pass  # a directory in trouble: recording the MAC says so, in one line
    if known is not None:
        _set_device(iface, known)
        return
    from bondhook.nm import dbus_io

    plans = dbus_io.sync(sysfs_io.read_facts(), only_uuid=uuid)
    dbus_io.log_plans(plans)
    if not plans:
        log.error("%s: NetworkManager has no bond profile with UUID %s; MAC left unchanged", iface, uuid)
    for plan in plans:
        if plan.link_mac is not None:
            _set_device(iface, str(plan.link_mac))


def main() -> int:
    """Never fails an activation: problems are one line each, the exit status is always 0."""
    iface, action = [*sys.argv[1:], "", ""][:2]
    if action not in ("pre-up", "up", "down"):
        return 0
    from bondhook.rules.text import shown

    label = iface if is_ifname(iface) else shown(iface)
    if action != "pre-up":
        from bondhook.nm import again_io
        from bondhook.runtime import hookmain_io

        return hookmain_io.run(label, again_io.restore_all)
    uuid = os.environ.get("CONNECTION_UUID", "")
    known = None
    if is_ifname(iface) and _is_uuid(uuid):
        known = steady_target(uuid, iface, os.environ.get("CONNECTION_FILENAME", ""))
        if known is not None and sysfs_io.address(iface) == known and _unrecorded(iface, known) is None:
            return 0  # the steady state
    from bondhook.runtime import hookmain_io

    return hookmain_io.run(label, lambda: _full(iface, uuid, known))


if __name__ == "__main__":
    sys.exit(main())

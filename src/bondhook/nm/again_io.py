"""NetworkManager's `up` and `down` events: every bond that lost the MAC its activation's pre-up
left it with (`record_io`) gets it back, one line each (`again`). The dispatcher script starts
this only when a bond with a record carries a MAC no program set."""

from __future__ import annotations

import logging
import os

from bondhook.errors import OutsideError
from bondhook.kernel import sysfs_io
from bondhook.nm import again, record_io
from bondhook.rules.names import is_ifname

log = logging.getLogger("bondhook")


def _recorded() -> list[str]:
    """The bonds with a record, by the names bondhook wrote."""
    try:
        names = os.listdir(f"{record_io.RUN_DIR}/{record_io.NM_DIR}")
    except FileNotFoundError:
        return []
    return sorted(name for name in names if is_ifname(name))


def _restore(bond: str) -> None:
    record = record_io.recall(bond)
    ifindex = sysfs_io.ifindex(bond) if sysfs_io.is_bond(bond) else None
    if record is None or record[0] != ifindex:
        record_io.forget(bond)  # unreadable, or that bond is gone: its successor's pre-up writes its own
        return
    address = sysfs_io.address(bond)
    assigned = sysfs_io.addr_assign_type(bond)
    mac = again.again(record, ifindex, address, assigned)
    if mac is None or address is None:
        return
    port = next((p for p in sysfs_io.ports(bond) if sysfs_io.perm_address(p) == address), None)
    sysfs_io.set_address(bond, mac)
    log.warning("%s", again.line(bond, address, mac, again.cause(assigned, port)))


def restore_all() -> None:
    """Each recorded bond in turn; a failure is that bond's one line (its record goes, so the
    events that follow do not repeat it), and the next bond is still seen."""
    for bond in _recorded():
        try:
            _restore(bond)
        except (OutsideError, OSError) as exc:
            text = "%s: could not give it back the MAC its activation's pre-up left it with: %s; not tried again"
            log.error(text, bond, exc)
            try:
                record_io.forget(bond)
            except OSError:
                pass  # the line above already says this bond's record is in trouble

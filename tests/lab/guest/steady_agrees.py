"""In the guest, on NetworkManager's real keyfiles and the real kernel: for every bond profile,
the fast decision (files and sysfs) and the full one (D-Bus and the fact snapshot) agree. Prints
one line per bond profile: NAME fast=MAC|doubt full=write|MAC."""

from bondhook.kernel import sysfs_io
from bondhook.nm import dbus_io, dispatcher_io, keyfile_io
from bondhook.nm.profile import BOND, decide_profile

facts = sysfs_io.read_facts()
everyone = dbus_io.profiles()
files = keyfile_io.load(keyfile_io.KEYFILE_DIRS)
for profile in everyone:
    if profile.type != BOND or not profile.interface_name:
        continue
    path = files.get(profile.uuid, ("", {}))[0]
    fast = dispatcher_io.steady_target(profile.uuid, profile.interface_name, path)
    plan = decide_profile(profile, everyone, facts)
    full = "write" if plan.write is not None else str(plan.link_mac)
    print(f"{profile.interface_name} fast={fast or 'doubt'} full={full}")

"""In the guest, on NetworkManager's real keyfiles and the real kernel: for every bond profile,
the fast decision (files and sysfs) and the full one (D-Bus and the fact snapshot) agree. Prints
one line per bond profile: NAME fast=MAC|doubt full=write|MAC."""

from bondhook import dispatcher, keyfile, linkfs, nm
from bondhook.nmprofile import BOND, decide_profile

facts = linkfs.read_facts()
everyone = nm.profiles()
files = keyfile.load(keyfile.KEYFILE_DIRS)
for profile in everyone:
    if profile.type != BOND or not profile.interface_name:
        continue
    path = files.get(profile.uuid, ("", {}))[0]
    fast = dispatcher.steady_target(profile.uuid, profile.interface_name, path)
    plan = decide_profile(profile, everyone, facts)
    full = "write" if plan.write is not None else str(plan.link_mac)
    print(f"{profile.interface_name} fast={fast or 'doubt'} full={full}")

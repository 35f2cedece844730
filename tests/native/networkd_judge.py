"""The judge for networkd matching: run inside a private network and mount namespace (as root,
`unshare --net --mount`), it makes veth links, then for each configuration read from stdin
writes the files into networkd's directories (tmpfs here, nothing of the host's touched), runs
Debian's systemd-networkd on them and bondhook's reading on the same files and links, and prints
both decisions per link, one JSON line per configuration.

networkd needs no udev here: with /sys read-only it takes links as they are, and its debug log
says per link "Configuring with FILE" or "initialized -> unmanaged".
"""

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))

from bondhook.kernel import sysfs_io
from bondhook.networkd import files_io
from bondhook.networkd.config import decision
from bondhook.runtime import deadline_io

NETWORKD = "/lib/systemd/systemd-networkd"
DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/lib/systemd/network")
DECIDED = re.compile(r"^(\S+): (?:Configuring with (\S+)\.|State changed: initialized -> (unmanaged))$")
SECONDS = 10.0


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def isolate() -> None:
    """networkd's directories and state on tmpfs, a read-only sysfs of this namespace."""
    for directory in ("/run/systemd", DIRS[0], DIRS[2]):
        run("mount", "-t", "tmpfs", "tmpfs", directory)
    os.mkdir(DIRS[1])
    run("mount", "-t", "sysfs", "-o", "ro", "sysfs", "/sys")


def make_links(spec: list[dict]) -> None:
    for pair in spec:
        (a, mac_a, alt_a), (b, mac_b, alt_b) = pair["ends"]
        run("ip", "link", "add", a, "address", mac_a, "type", "veth", "peer", "name", b, "address", mac_b)
        for name, alts in ((a, alt_a), (b, alt_b)):
            for alt in alts:
                run("ip", "link", "property", "add", "dev", name, "altname", alt)


def write(files: dict[str, str | None]) -> None:
    """Each path (under networkd's directories only) holds its text; None masks it."""
    for directory in DIRS:
        for entry in os.listdir(directory):
            path = os.path.join(directory, entry)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
    for path, text in files.items():
        assert path.startswith(DIRS) and ".." not in path, path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if text is None:
            os.symlink("/dev/null", path)
        else:
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8", "surrogateescape"))


def networkd(names: set[str]) -> dict[str, str | None]:
    """What networkd applies to each link: a file's path, or None (unmanaged)."""
    env = {"SYSTEMD_LOG_LEVEL": "debug", "SYSTEMD_LOG_TARGET": "console", "PATH": "/usr/sbin:/usr/bin"}
    proc = subprocess.Popen([NETWORKD], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    found: dict[str, str | None] = {}
    end = time.monotonic() + SECONDS
    buffer = b""
    assert proc.stderr is not None
    try:
        while set(found) < names and (left := end - time.monotonic()) > 0:
            if not select.select([proc.stderr], [], [], left)[0]:
                break
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if match := DECIDED.match(line.decode("utf-8", "surrogateescape")):
                    found[match.group(1)] = match.group(2)
    finally:
        proc.terminate()
        proc.wait(5)
    missing = names - set(found)
    if missing:
        raise SystemExit(f"networkd decided nothing for {sorted(missing)} within {SECONDS} s")
    return found


def bondhook() -> dict[str, list]:
    """bondhook's decision per link: the file, and the files before it that bondhook cannot evaluate."""
    deadline_io.start(deadline_io.CLI_SECONDS)  # each configuration as a new bondhook run
    config = files_io.load(DIRS)
    facts = files_io.facts()
    result = {}
    for link in facts.links:
        chosen, unsure = decision(config.networks, link)
        why = [" ".join(n.match.unevaluated) for n in unsure]
        result[link.name] = {"file": chosen.path if chosen else None, "unsure": [n.path for n in unsure], "why": why}
    return {"decisions": result, "problems": list(config.problems)}


def main() -> None:
    isolate()
    make_links(json.loads(sys.argv[1]))
    names = {link.name for link in sysfs_io.read_facts().links}
    print(json.dumps({"ready": sorted(names)}), flush=True)
    for line in sys.stdin:
        write(json.loads(line))
        print(json.dumps({"networkd": networkd(names), "bondhook": bondhook()}), flush=True)


if __name__ == "__main__":
    main()

"""Where systemd-networkd reads its configuration. A module of its own so that the boot unit's
steady check (`steady_io`) reads the same directories without importing `config`."""

# networkd's search path, highest priority first (systemd.network(5)); a file name found in an
# earlier directory hides the same name in later ones. /lib is listed for releases whose systemd
# still reads it; where it is a link to /usr/lib the I/O edge reads it once.
NETWORK_DIRS = (
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network",
    "/lib/systemd/network",
)

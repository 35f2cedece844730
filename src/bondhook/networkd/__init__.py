"""systemd-networkd and netplan: its configuration as networkd reads it, bondhook's drop-ins, and
the boot-time sync the package's unit runs."""

"""ifupdown2 (Debian's other ifupdown, Proxmox VE's and Cumulus Linux's): the same
/etc/network/interfaces stanzas and the same if-pre-up.d hook as ifupdown, read through
ifupdown2's own parser (`ifquery -a -o json`), with ifupdown2's answer to a bridge's MAC."""

"""ifupdown (/etc/network/interfaces): a bond stanza's options, ifquery, and the if-pre-up.d hook
(`python3 -I -m bondhook.ifupdown`)."""

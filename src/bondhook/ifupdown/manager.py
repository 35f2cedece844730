"""ifupdown as a manager bondhook serves: its hook does the work at every ifup, so it offers no
sync or release command, and `status` says of it only whether the stanza opts in."""

from bondhook.rules.manager import Manager

IFUPDOWN = Manager("ifupdown", key=None, edge="bondhook.ifupdown.ifquery_io")

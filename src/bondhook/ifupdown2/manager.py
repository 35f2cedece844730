"""ifupdown2 as a manager bondhook serves. Its if-pre-up.d scripts run after its own modules, so
the ifupdown hook gives an opted-in bond its MAC after ifupdown2 made it and enslaved its ports,
before it is up: one change (docs/design.md says why nothing earlier exists)."""

from bondhook.rules.manager import Manager

IFUPDOWN2 = Manager("ifupdown2", key="ifupdown2", edge="bondhook.ifupdown2.ifquery_io")

"""Carry out a plan on the kernel and log what happened: shared by the hooks and the CLI."""

from __future__ import annotations

import logging

from bondhook.errors import OutsideError
from bondhook.kernel import netlink_io, sysfs_io
from bondhook.kernel.netlink_io import EEXIST
from bondhook.kernel.sysfs_io import KernelError
from bondhook.rules.plan import Facts, Plan, Request, decide
from bondhook.runtime import logsetup_io

log = logging.getLogger("bondhook")

CHANGES = ("create", "set")


def _execute(plan: Plan, request: Request) -> Plan:
    """Apply one plan (each change is read back); if the bond appeared between the snapshot and
    the create (the bonding module makes one as it loads, or another hook raced us), decide
    again on fresh facts."""
    assert plan.target is not None
    if plan.action == "create":
        try:
            netlink_io.create_bond(plan.bond, plan.target)
            return plan
        except KernelError as exc:
            if exc.code != EEXIST:
                raise
        plan = decide(request, sysfs_io.read_facts())
    if plan.action == "set" and plan.target is not None:
        sysfs_io.set_address(plan.bond, str(plan.target))
    return plan


def apply_request(request: Request, facts: Facts | None = None, dry_run: bool = False) -> bool:
    """Decide on `facts` (a fresh snapshot if None), apply unless `dry_run`, then log the plan's
    lines (one per problem, one for the outcome, which is only said once the kernel shows it).
    Returns False when the request could not be satisfied: the MAC is then left as it was.
    """
    plan = decide(request, facts or sysfs_io.read_facts())
    try:
        if plan.action in CHANGES and not dry_run:
            plan = _execute(plan, request)
    except OutsideError as exc:
        logsetup_io.emit(m for m in plan.messages if m.level >= logging.WARNING)
        log.error("%s: could not apply the derived MAC: %s; MAC left as it was", request.bond, exc)
        return False
    logsetup_io.emit(plan.messages, dry_run=dry_run and plan.action in CHANGES)
    return plan.action != "none" or not request.choice.enabled

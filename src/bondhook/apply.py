"""Carry out a plan on the kernel and log what happened: shared by the hooks and the CLI."""

from __future__ import annotations

import logging

from bondhook import logsetup, netlink
from bondhook.netlink import EEXIST, KernelError
from bondhook.plan import Facts, Plan, Request, decide

log = logging.getLogger("bondhook")

CHANGES = ("create", "set")


def _execute(plan: Plan, request: Request) -> Plan:
    """Apply one plan; if the bond appeared between the snapshot and the create (the bonding
    module makes one as it loads, or another hook raced us), decide again on fresh facts."""
    assert plan.target is not None
    if plan.action == "create":
        try:
            netlink.create_bond(plan.bond, plan.target)
            return plan
        except KernelError as exc:
            if exc.code != EEXIST:
                raise
        plan = decide(request, netlink.read_facts())
    if plan.action == "set" and plan.target is not None:
        netlink.set_address(plan.bond, plan.target)
    return plan


def apply_request(request: Request, facts: Facts | None = None, dry_run: bool = False) -> bool:
    """Decide on `facts` (a fresh snapshot if None), apply unless `dry_run`, then log the plan's
    lines (one per problem, one for the outcome). Returns False when the request could not be
    satisfied: the MAC is then left as it was.
    """
    try:
        plan = decide(request, facts or netlink.read_facts())
        if plan.action in CHANGES and not dry_run:
            plan = _execute(plan, request)
    except KernelError as exc:
        log.error("%s: could not apply the derived MAC: %s; MAC left as it was; see dmesg", request.bond, exc)
        return False
    logsetup.emit(plan.messages, dry_run=dry_run and plan.action in CHANGES)
    return plan.action != "none" or not request.choice.enabled

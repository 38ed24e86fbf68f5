"""Campaign planning: which crew visits which site on which day and verifies which instruments.

A pure library (no LIMS, Flask or database).  The contract is the instance and plan format
``lims-plan-instance/1`` / ``lims-plan/1`` described in docs/planning.md.

>>> import planning
>>> plan = planning.solve(instance)                     # doctest: +SKIP
>>> report = planning.check(instance, plan)             # doctest: +SKIP
>>> report.ok, report.errors, report.figures["cost"]    # doctest: +SKIP
"""
from .check import CheckReport, check
from .instance import INSTANCE_FORMAT, PLAN_FORMAT, InstanceError, validate_instance
from .solver import solve

__all__ = ["solve", "check", "validate_instance", "InstanceError", "CheckReport", "INSTANCE_FORMAT", "PLAN_FORMAT"]

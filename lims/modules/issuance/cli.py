"""Operator commands of the issuance area."""

COMMANDS = []

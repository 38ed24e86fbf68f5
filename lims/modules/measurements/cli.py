"""Operator commands of the measurements area."""

COMMANDS = []

"""Bench measurement sessions: readings from the instruments library, persisted as they arrive."""

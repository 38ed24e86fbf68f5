"""organisations area."""

"""Models of the measurements area (filled in by its issue)."""

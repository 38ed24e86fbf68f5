"""equipment area."""

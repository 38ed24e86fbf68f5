"""Models of the issuance area (filled in by its issue)."""

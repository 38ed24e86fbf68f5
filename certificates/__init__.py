"""certificates library."""

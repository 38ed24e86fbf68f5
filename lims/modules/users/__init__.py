"""users area."""

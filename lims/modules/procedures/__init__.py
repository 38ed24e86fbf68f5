"""Verification procedures: the regulation's test points, entered results, judged errors."""

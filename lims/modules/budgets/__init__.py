"""Uncertainty budgets and conformity decisions: the application's only door to ``uncertainty``."""

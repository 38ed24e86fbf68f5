"""Shared layers of the application: database helpers, HTTP glue, auth, audit."""

"""Out-of-tolerance recall (reverse traceability) of certificates that used a reference standard."""

"""Operations: health check, Prometheus metrics, backup and restore."""

"""External services the tests use (PostgreSQL, Redis): a missing one skips with the reason on a developer's
machine and FAILS the run when ``CI`` is set, so CI never goes green without having run those tests."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("LIMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    """Whether ``CI`` is set (to anything but empty, 0, false or no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip the current test with *reason*, or fail it when running in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a missing service fails the run instead of skipping)", pytrace=False)
    pytest.skip(reason)


def redis_unreachable(url: str = REDIS_URL, timeout: float = 2.0) -> str | None:
    """Return None when a Redis server answers PING at *url*, else the reason it does not."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError as exc:
        return f"Redis at {host}:{port} is not reachable: {exc.__class__.__name__}: {exc}"
    if not answer.startswith((b"+PONG", b"-NOAUTH")):
        return f"Redis at {host}:{port} did not answer PING (got {answer[:40]!r})"
    return None

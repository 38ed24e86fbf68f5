"""The public certificate check's fast path: cached verdicts that no node keeps after a revocation.

A shopper's scan is the hottest request of the system. A genuine token's answer (status code,
page, JSON, ETag) is computed once and kept in-process per app, keyed by the token and the day
(the day decides expiry). Every worker of every app server drops its cache when the
``certificates`` :class:`~lims.modules.issuance.models.CacheStamp` changes; the stamp is bumped
in the same transaction as any revocation or replacement, and read at most every
``PUBLIC_CHECK_STAMP_SECONDS`` (default 1 s), so a revoked certificate shows revoked on every
node within that time plus the HTTP ``max-age`` (:data:`MAX_AGE`). The process that revoked
drops its own cache at commit.

Not-genuine tokens are never cached (a flood of random tokens cannot evict real answers) and
the signature check itself needs no database: the public keys are read from the key directory
once per change of the directory.
"""
import datetime as dt
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from sqlalchemy import select

from lims.extensions import db
from lims.modules.issuance import keys
from lims.modules.issuance.models import CERTIFICATE_STAMP, CacheStamp

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: a cached answer's key: the token, the day and the page's language
CacheKey = tuple[str, dt.date, str]

#: seconds a browser or proxy may reuse an answer without asking again (then it revalidates by ETag)
MAX_AGE = 2
#: the longest token accepted before any decoding (a real token is ~300 characters)
MAX_TOKEN_LENGTH = 1700
CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Answer:
    """A complete answer to one check: HTTP status, the page, the JSON body and the ETag."""

    code: int
    html: str
    body: dict
    etag: str


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: OrderedDict[CacheKey, Answer] = OrderedDict()
        self.stamp: int | None = None
        self.checked = 0.0
        #: ((key directory, its mtime), the keys read from it)
        self.keys: tuple[tuple[str, int | None] | None, dict[str, Ed25519PublicKey]] = (None, {})


def _state(app=None):
    app = app or current_app._get_current_object()
    return app.extensions.setdefault("lims_public_check", _State())


def invalidate_local() -> None:
    """Drop this process's cached answers now (called after a commit that changed a status)."""
    if has_app_context():
        st = _state()
        with st.lock:
            st.answers.clear()
            st.checked = 0.0


def _read_stamp():

    return db.session.execute(select(CacheStamp.value).where(CacheStamp.name == CERTIFICATE_STAMP)).scalar() or 0


def refresh() -> int:
    """Re-read the stamp when it is older than ``PUBLIC_CHECK_STAMP_SECONDS``; drop stale answers.

    :returns: the current stamp value
    """
    st = _state()
    ttl = current_app.config.get("PUBLIC_CHECK_STAMP_SECONDS", 1.0)
    now = time.monotonic()
    if st.stamp is None or now - st.checked >= ttl:
        stamp = _read_stamp()
        with st.lock:
            if stamp != st.stamp:
                st.answers.clear()
                st.stamp = stamp
            st.checked = now
    return st.stamp


def verification_keys() -> "dict[str, Ed25519PublicKey]":
    """The published public keys, re-read only when the key directory changes (rotation)."""

    st = _state()
    directory = keys.key_dir()
    mark: tuple[str, int | None]
    try:
        mark = (directory, os.stat(directory).st_mtime_ns)
    except OSError:
        mark = (directory, None)
    if st.keys[0] != mark:
        st.keys = (mark, keys.verification_keys())
    return st.keys[1]


def lookup(cache_key: CacheKey) -> Answer | None:
    st = _state()
    with st.lock:
        answer = st.answers.get(cache_key)
        if answer is not None:
            st.answers.move_to_end(cache_key)
        return answer


def store(cache_key: CacheKey, answer: Answer) -> None:
    st = _state()
    with st.lock:
        st.answers[cache_key] = answer
        if len(st.answers) > CACHE_SIZE:
            st.answers.popitem(last=False)


def etag_for(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]

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
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context, request
from limits import parse_many
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.http import parse_accept_header

from lims.extensions import db, limiter
from lims.modules.issuance import keys
from lims.modules.issuance.models import CERTIFICATE_STAMP, CHANGED_FLAG, CacheStamp

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


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """A commit that changed a certificate's status (flagged by the models' flush hook) empties this cache."""
    if session.info.pop(CHANGED_FLAG, False):
        invalidate_local()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(CHANGED_FLAG, None)


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


# --- the WSGI fast path -------------------------------------------------------------------------------

#: the rate-limit scope Flask-Limiter gives ``public_check_limit`` on the check view (endpoint:scope)
LIMIT_SCOPE = "issuance_pages.check:public-check"
#: response headers that are per request, never replayed from the cache
_PER_REQUEST_HEADERS = frozenset({"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after",
                                  "set-cookie"})
_CACHEABLE = "lims.public_check.cacheable"


def mark_cacheable() -> None:
    """Called by the check view when its answer may be replayed by :class:`FastPath` (a genuine, known token)."""

    request.environ[_CACHEABLE] = True


class FastPath:
    """WSGI middleware in front of the Flask app: replays a cached check answer without Flask's machinery.

    A repeated ``GET /V/<token>`` (no query string, no session cookie, no ``If-None-Match``) whose
    complete response - status, headers, body - was recorded from the Flask view is answered here,
    skipping the session, locale selection, login, the commit hook and Talisman (their headers are
    part of the recorded response). What the view would decide per request is decided here the same
    way: the rate limit (the same counters and keys as Flask-Limiter, with fresh ``X-RateLimit-*``
    headers), the language (``Accept-Language`` against ``LANGUAGES``, as :func:`lims.core.i18n.select_locale`)
    and the page or JSON choice (``Accept``). Anything else - a miss, a stale stamp (older than
    ``PUBLIC_CHECK_STAMP_SECONDS``), a breached limit, a limiter storage error - goes to the Flask
    app, which answers, re-reads the stamp and records the response. Recorded responses live in the
    same cache as the answers, so a revocation drops both.
    """

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._parsed = {}
        self._latency = None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if (path[:3] not in ("/V/", "/v/") or environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING")
                or "HTTP_IF_NONE_MATCH" in environ or "/" in path[3:] or len(path) > MAX_TOKEN_LENGTH + 3):
            return self.wsgi_app(environ, start_response)
        cookie = environ.get("HTTP_COOKIE")
        if cookie and self.app.config["SESSION_COOKIE_NAME"] + "=" in cookie:
            return self.wsgi_app(environ, start_response)  # the session may choose the language
        t0 = time.perf_counter()
        key = ("wsgi", path[3:], dt.date.today(), self._locale(environ.get("HTTP_ACCEPT_LANGUAGE", "")),
               self._wants_json(environ.get("HTTP_ACCEPT", "")))
        st = _state(self.app)
        fresh = st.stamp is not None and time.monotonic() - st.checked < self.app.config["PUBLIC_CHECK_STAMP_SECONDS"]
        recorded = None
        if fresh:
            with st.lock:
                recorded = st.answers.get(key)
        if recorded is not None:
            limit_headers = self._hit_limits(environ)
            if limit_headers is not None:
                status, headers, body = recorded
                start_response(status, headers + limit_headers)
                self._observe(t0)
                return [body]
        return self._record(environ, start_response, key)

    def _record(self, environ, start_response, key):
        """Run the Flask app; keep its response when the view marked it cacheable."""
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        if not environ.get(_CACHEABLE) or not seen.get("status", "").startswith("200"):
            return result
        if any(k.lower() == "set-cookie" for k, _v in seen["headers"]):
            return result  # the response sets a cookie: not one to replay to everyone
        headers = [(k, v) for k, v in seen["headers"] if k.lower() not in _PER_REQUEST_HEADERS]
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        st = _state(self.app)
        with st.lock:
            if st.stamp is not None:  # the view read the stamp; a revocation since then has cleared the cache
                st.answers[key] = (seen["status"], headers, body)
                if len(st.answers) > CACHE_SIZE:
                    st.answers.popitem(last=False)
        return [body]

    def _hit_limits(self, environ):
        """Count this request as Flask-Limiter would; the ``X-RateLimit-*`` headers, or None to let Flask answer."""

        config = self.app.config
        if not limiter.enabled:
            return []
        items = _limit_items(config["PUBLIC_CHECK_LIMIT"])
        args = [a for a in (config.get("RATELIMIT_KEY_PREFIX"), environ.get("REMOTE_ADDR") or "127.0.0.1",
                            LIMIT_SCOPE) if a]
        try:
            strategy = limiter.limiter
            for item in items:
                if not strategy.hit(item, *args):
                    return None  # over the limit: the Flask view refuses it with its translated 429 page
            if not config.get("RATELIMIT_HEADERS_ENABLED"):
                return []
            reset, remaining = strategy.get_window_stats(items[0], *args)
        except Exception:  # storage trouble: Flask-Limiter decides (in-memory fallback, logging)
            return None
        reset_at = int(reset + 1)
        return [("X-RateLimit-Limit", str(items[0].amount)), ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", str(reset_at)), ("Retry-After", str(int(reset_at - time.time())))]

    def _locale(self, header):
        got = self._parsed.get(("l", header))
        if got is None:
            langs = self.app.config["LANGUAGES"]
            got = parse_accept_header(header, LanguageAccept).best_match(langs) or \
                self.app.config["BABEL_DEFAULT_LOCALE"]
            self._remember(("l", header), got)
        return got

    def _wants_json(self, header):
        got = self._parsed.get(("a", header))
        if got is None:
            got = parse_accept_header(header, MIMEAccept).best_match(["text/html", "application/json"]) \
                == "application/json"
            self._remember(("a", header), got)
        return got

    def _remember(self, key, value):
        if len(self._parsed) > 512:  # a client sending ever new headers cannot grow it without bound
            self._parsed.clear()
        self._parsed[key] = value

    def _observe(self, t0):
        if self._latency is None:  # the metrics' observer, if the ops area registered one (no import of it here)
            self._latency = self.app.extensions.get("lims_observe_latency") or (lambda *_args: None)
        self._latency("issuance_pages.check", "GET", time.perf_counter() - t0)


_LIMIT_ITEMS: dict[str, list[Any]] = {}


def _limit_items(text):
    items = _LIMIT_ITEMS.get(text)
    if items is None:
        items = _LIMIT_ITEMS[text] = sorted(parse_many(text))
    return items


def init_app(app: Flask) -> None:
    """Put :class:`FastPath` in front of the app (inside any proxy middleware added later)."""
    app.wsgi_app = FastPath(app, app.wsgi_app)  # type: ignore[method-assign]  # Flask's documented middleware idiom

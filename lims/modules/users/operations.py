"""User, password, session and token operations, shared by the API, the pages and the CLI."""
from __future__ import annotations

import datetime as dt
import functools
import secrets
import string
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from lims.core.db import generic_update, now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.organisations.models import Organisation
from lims.modules.users.models import ApiToken, User

# which organisation kinds each role may belong to
ROLE_ORG_KINDS = {
    "admin": ("lab",), "lab_manager": ("lab",), "technician": ("lab",),
    "market_manager": ("market",), "equipment_officer": ("hospital", "other"),
}
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
TOKEN_MAX_DAYS = 730
# token last use is written at most this often, outside the request's transaction (no row lock)
TOKEN_LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


@functools.lru_cache(maxsize=1)
def _common_passwords():
    # zxcvbn's list of the 30,000 most common passwords (deferred: only password changes need it)
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_common(password):
    """A common password, also with digits or punctuation added before or after ("password2024!")."""
    common = _common_passwords()
    low = password.lower()
    noise = string.digits + string.punctuation + " "
    return any(c in common for c in {low, low.rstrip(noise), low.lstrip(noise), low.strip(noise)} if c)


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Return the reasons ``password`` is refused (an empty list when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"must be at most {PASSWORD_MAX_LENGTH} characters")
    if _is_common(password):
        problems.append("is one of the most common passwords; choose another")
    if username and password.lower() == username.lower():
        problems.append("must not be the username")
    return problems


def check_password_policy(password: str, username: str | None = None, field: str = "password") -> None:
    """:raises DomainValidationError: ``password`` breaks the policy (the messages name ``field``)."""
    problems = password_problems(password, username)
    if problems:
        raise DomainValidationError({field: problems})


def create_user(username: str, display_name: str, role: str, organisation_id: int, password: str,
                email: str = "") -> User:
    """Create a user bound to one organisation with one role.

    :raises DomainValidationError: an unknown organisation, a role that does not fit its kind, a weak password.
    :raises Conflict: the username is taken.
    """
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise DomainValidationError({"organisation_id": [f"no organisation {organisation_id}"]})
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise DomainValidationError({"role": [f"a {role} must belong to a {' or '.join(ROLE_ORG_KINDS[role])}, "
                                              f"not a {org.kind}"]})
    check_password_policy(password, username)
    if db.session.execute(select(User).where(User.username == username)).first():
        raise Conflict(f"username {username} is taken")
    user = User(username=username, display_name=display_name, role=role, organisation_id=org.id, email=email,
                session_nonce=secrets.token_hex(16))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# -- passwords and sessions ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _dummy_hash():
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with ``username`` and ``password``, else None.

    An unknown username costs the same scrypt work as a known one, so timing does not tell which
    usernames exist.
    """
    user = user_by_username(username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    ok = user.check_password(password)
    return user if ok and user.is_active else None


def end_sessions(user: User) -> str:
    """End every session of ``user`` server-side (the cookies name the old nonce)."""
    nonce = secrets.token_hex(16)
    # a bare UPDATE: not a change of the record (no version bump, nothing to audit)
    db.session.execute(sa.update(User.__table__).where(User.__table__.c.id == user.id)
                       .values(session_nonce=nonce))
    set_committed_value(user, "session_nonce", nonce)
    return nonce


def change_password(user: User, old_password: str, new_password: str) -> User:
    """Change the user's own password; every other session of the user ends.

    :raises DomainValidationError: the old password is wrong, or the new one breaks the policy.
    """
    if not user.check_password(old_password):
        raise DomainValidationError({"old_password": ["is not your current password"]})
    if new_password == old_password:
        raise DomainValidationError({"new_password": ["must differ from the current password"]})
    check_password_policy(new_password, user.username, field="new_password")
    _set_password(user, new_password, must_change=False)
    return user


def reset_password(user: User, new_password: str) -> User:
    """An admin sets ``user``'s password; the user must change it at the next login.

    :raises DomainValidationError: the password breaks the policy.
    """
    check_password_policy(new_password, user.username)
    _set_password(user, new_password, must_change=True)
    return user


def _set_password(user, password, must_change) -> None:
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_dt = now_utc()
    user.session_nonce = secrets.token_hex(16)
    db.session.flush()


def user_by_username(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


# -- API tokens -----------------------------------------------------------------------------------------

def tokens_of(user: User, newest_first: bool = False) -> Sequence[ApiToken]:
    """The API tokens of ``user`` (the one query the API, the pages and the CLI use)."""
    order = ApiToken.id.desc() if newest_first else ApiToken.id
    return db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id).order_by(order)).scalars().all()


def create_token(user: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; returns ``(row, secret)`` — the secret is never stored.

    :param expires_in_days: None for a token without expiry, else 1..TOKEN_MAX_DAYS.
    :raises DomainValidationError: an expiry out of range.
    """
    row, secret = ApiToken.generate(user, name)
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
            raise DomainValidationError({"expires_in_days": [f"must be between 1 and {TOKEN_MAX_DAYS}"]})
        row.expires_dt = now_utc() + dt.timedelta(days=expires_in_days)
    db.session.add(row)
    db.session.flush()
    return row, secret


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke ``token`` (idempotent)."""
    if token.revoked_dt is None:
        token.revoked_dt = now_utc()
        db.session.flush()
    return token


def token_by_secret(secret: str) -> ApiToken | None:
    return db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_secret(secret))
    ).scalar_one_or_none()


def record_token_use(token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Note that ``token`` was used: at most once per TOKEN_LAST_USE_RESOLUTION, in its own short
    transaction, never under the request's transaction — requests sharing a token never wait for each other.
    """
    now = now or now_utc()
    if token.last_used_dt is not None and now - token.last_used_dt < TOKEN_LAST_USE_RESOLUTION:
        return False
    table = ApiToken.__table__
    stale = sa.or_(table.c.last_used_dt.is_(None), table.c.last_used_dt < now - TOKEN_LAST_USE_RESOLUTION)
    with db.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id == token.id, stale).values(last_used_dt=now))
    set_committed_value(token, "last_used_dt", now)
    return True


def update_user(user: User, data: dict[str, Any], actor: User) -> User:
    """Change a user's name, e-mail, role, organisation or active flag (admin); ``data`` carries ``version``.

    :raises DomainValidationError: the role does not fit the organisation's kind, or an unknown organisation.
    :raises Conflict: an admin deactivating their own account, or a stale version.
    """


    if user.id == actor.id and data.get("is_active_user") is False:
        raise Conflict(_("You cannot deactivate your own account; another admin can."))
    role = data.get("role", user.role)
    org = db.session.get(Organisation, data.get("organisation_id", user.organisation_id))
    if org is None:
        raise DomainValidationError({"organisation_id": [_("no such organisation")]})
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise DomainValidationError({"role": [_("does not fit the organisation's kind")]})
    generic_update(user, data)
    return user

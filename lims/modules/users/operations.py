"""User and token operations, shared by the API, the pages and the CLI."""
from sqlalchemy import select

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.organisations.models import Organisation
from lims.modules.users.models import ApiToken, User

# which organisation kinds each role may belong to
ROLE_ORG_KINDS = {
    "admin": ("lab",), "lab_manager": ("lab",), "technician": ("lab",),
    "market_manager": ("market",), "equipment_officer": ("hospital", "other"),
}


def create_user(username, display_name, role, organisation_id, password, email=""):
    """Create a user bound to one organisation with one role.

    :raises DomainValidationError: an unknown organisation or a role that does not fit its kind.
    :raises Conflict: the username is taken.
    """
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise DomainValidationError({"organisation_id": [f"no organisation {organisation_id}"]})
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise DomainValidationError({"role": [f"a {role} must belong to a {' or '.join(ROLE_ORG_KINDS[role])}, "
                                              f"not a {org.kind}"]})
    if db.session.execute(select(User).where(User.username == username)).first():
        raise Conflict(f"username {username} is taken")
    user = User(username=username, display_name=display_name, role=role, organisation_id=org.id, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_token(user, name):
    """Create an API token for ``user``; returns ``(row, secret)`` — the secret is never stored."""
    row, secret = ApiToken.generate(user, name)
    db.session.add(row)
    db.session.flush()
    return row, secret


def revoke_token(token):
    """Revoke ``token`` (idempotent)."""
    if token.revoked_dt is None:
        token.revoked_dt = now_utc()
        db.session.flush()
    return token


def user_by_username(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()

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


def reset_password(user, new_password):
    """An admin sets ``user``'s password (the admin pages).

    Interim: issue 11 (trust-auth) brings ``reset_password(user, new_password)`` with the password
    policy and a forced change at the next login; at merge that one replaces this one.

    :raises DomainValidationError: the password is too short.
    """
    from flask_babel import gettext as _

    if len(new_password or "") < 10:
        raise DomainValidationError({"password": [_("must be at least 10 characters long")]})
    user.set_password(new_password)
    db.session.flush()
    return user


def update_user(user, data, actor):
    """Change a user's name, e-mail, role, organisation or active flag (admin); ``data`` carries ``version``.

    :raises DomainValidationError: the role does not fit the organisation's kind, or an unknown organisation.
    :raises Conflict: an admin deactivating their own account, or a stale version.
    """
    from flask_babel import gettext as _

    from lims.core.db import generic_update

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

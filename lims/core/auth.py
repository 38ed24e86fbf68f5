"""The access policy (authentication itself is wired by :mod:`lims.modules.users.auth`).

The policy lives here, in one place, so that every endpoint and page asks the same questions:
who may read or change which organisation's data. Checks are server-side; the pages only hide
what the API would refuse anyway.
"""
import functools
from collections.abc import Callable
from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from lims.extensions import login_manager


def require_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view so only users with one of ``roles`` (admin always) get through."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403, description=_("Your role may not do this."))
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def login_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like flask_login.login_required, but without its exemptions."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return fn(*args, **kwargs)

    return wrapper


# ``user`` below is a lims.modules.users User (or current_user), which lims/core may not import: typed Any
def sees_all_organisations(user: Any) -> bool:
    """Admins and lab staff work across customers; customers see only their own organisation."""
    return user.role in ("admin", "lab_manager", "technician")


def check_org(user: Any, org_id: int | None, action: str = "read") -> None:
    """Abort with 403 when ``user`` may not ``action`` data owned by organisation ``org_id``."""
    if user.role == "admin":
        return
    if action == "read" and sees_all_organisations(user):
        return
    if user.role in ("market_manager", "equipment_officer") and org_id == user.organisation_id:
        return
    abort(403, description=_("This record belongs to another organisation."))

"""Organisation operations, shared by the API, the admin pages, the demo and the test world.

The one place where an organisation is created or changed: names are unique (checked here, and by
the database's unique index as the last word).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from lims.core.db import generic_update
from lims.core.http import Conflict
from lims.extensions import db
from lims.modules.organisations.models import Organisation

FIELDS = ("kind", "name", "address", "district", "contact")


def name_taken(name: str, except_id: int | None = None) -> bool:
    """True when another organisation already has ``name`` (compared after trimming, case-insensitively)."""
    q = select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower())
    if except_id is not None:
        q = q.where(Organisation.id != except_id)
    return db.session.execute(q).first() is not None


def create_organisation(data: dict[str, Any]) -> Organisation:
    """Create an organisation from validated ``data`` (kind, name, address, district, contact).

    :raises Conflict: an organisation with that name exists.
    """
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in FIELDS}
    if name_taken(data["name"]):
        raise Conflict(_("An organisation named %(name)s already exists.", name=data["name"]))
    org = Organisation(**data)
    db.session.add(org)
    db.session.flush()
    return org


def update_organisation(org: Organisation, data: dict[str, Any]) -> Organisation:
    """Change an organisation (``data`` carries the ``version`` read; a stale one is refused).

    :raises Conflict: the new name is used by another organisation, or the version is stale.
    """
    if "name" in data and name_taken(data["name"], except_id=org.id):
        raise Conflict(_("An organisation named %(name)s already exists.", name=data["name"]))
    generic_update(org, data)
    return org


def organisations(kind: str | None = None) -> Sequence[Organisation]:
    """All organisations (optionally of one kind), by name."""
    q = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind:
        q = q.where(Organisation.kind == kind)
    return db.session.execute(q).scalars().all()

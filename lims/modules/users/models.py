"""Users, their single role, and their API tokens."""
import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

ROLES = ("admin", "lab_manager", "technician", "market_manager", "equipment_officer")
LAB_ROLES = ("lab_manager", "technician")
CUSTOMER_ROLES = ("market_manager", "equipment_officer")
TOKEN_PREFIX = "lims_"


class User(UserMixin, db.Model):
    """A person who logs in; bound to one organisation with one role."""

    __tablename__ = "users"
    __audited__ = True
    __audit_exclude__ = ("password_hash", "session_nonce")
    __table_args__ = (sa.CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256), nullable=False)
    is_active_user: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    # rotated on logout and on a password change: a session cookie carries it and dies with it
    session_nonce: Mapped[str] = mapped_column(sa.String(32), nullable=False, default=lambda: secrets.token_hex(16),
                                               server_default="")
    must_change_password: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=sa.false())
    password_changed_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    organisation = relationship("Organisation", lazy="joined")
    __mapper_args__ = {"version_id_col": version}

    def set_password(self, password: str) -> None:
        """Store a scrypt hash of ``password`` (werkzeug's default modern KDF)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Return True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    def get_id(self) -> str:
        """The session's user id for Flask-Login: the id and the current session nonce."""
        return f"{self.id}.{self.session_nonce}"

    @property
    def is_lab_staff(self) -> bool:
        return self.role in LAB_ROLES or self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __audited__ = True
    __audit_exclude__ = ("token_hash", "last_used_dt")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_used_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user = relationship("User", lazy="joined")

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def generate(cls, user: "User", name: str) -> "tuple[ApiToken, str]":
        """Return ``(token_row, secret)``; the caller adds the row and shows the secret once."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls(user_id=user.id, name=name, prefix=secret[:12], token_hash=cls.hash_secret(secret))
        return row, secret

    @property
    def is_revoked(self) -> bool:
        return self.revoked_dt is not None

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_dt is not None and self.expires_dt <= (now or now_utc())

    @property
    def state(self) -> str:
        """``active``, ``expired`` or ``revoked``."""
        return "revoked" if self.is_revoked else "expired" if self.is_expired() else "active"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"

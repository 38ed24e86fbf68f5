"""HTML pages."""
from flask import Blueprint

from lims.modules.issuance.views import bp as issuance_pages
from lims.web import (
    admin,
    audit,
    bookings,
    campaigns,
    certificates,
    complaints,
    imports,
    jobs,
    recalls,
    register,
    standards,
    tasks,
)
from lims.web.views import bp


def blueprints() -> list[Blueprint]:
    """Return the page blueprints to register."""

    return [bp, issuance_pages, jobs.bp, certificates.bp, register.bp, standards.bp, audit.bp, imports.bp,
            campaigns.bp, recalls.bp, tasks.bp, admin.bp, complaints.bp, bookings.bp]

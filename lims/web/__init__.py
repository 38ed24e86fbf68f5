"""HTML pages."""


def blueprints():
    """Return the page blueprints to register."""
    from lims.modules.issuance.views import bp as issuance_pages
    from lims.web import admin, audit, bookings, certificates, complaints, imports, jobs, register, standards
    from lims.web.views import bp

    return [bp, issuance_pages, jobs.bp, certificates.bp, register.bp, standards.bp, audit.bp, imports.bp, admin.bp,
            complaints.bp, bookings.bp]

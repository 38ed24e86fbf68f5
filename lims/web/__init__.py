"""HTML pages."""


def blueprints():
    """Return the page blueprints to register."""
    from lims.modules.issuance.views import bp as issuance_pages
    from lims.web.views import bp

    return [bp, issuance_pages]

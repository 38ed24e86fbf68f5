"""HTML pages."""


def blueprints():
    """Return the page blueprints to register."""
    from lims.web.views import bp

    return [bp]

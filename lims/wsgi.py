"""The WSGI entry point for production servers: ``gunicorn -c gunicorn.conf.py lims.wsgi:app``.

The app is configured from the environment (``LIMS_DATABASE_URL``, ``LIMS_SECRET_KEY``, ...).
"""
from lims import create_app

app = create_app()

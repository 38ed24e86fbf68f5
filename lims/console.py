"""The ``lims`` console script: Flask's command group over :func:`lims.create_app`.

Apart from :mod:`lims.cli` (the commands, attached by the factory) so that nothing the factory imports
imports the factory back: the module graph of ``lims`` has no cycle.
"""
import click
from flask.cli import FlaskGroup

from lims import create_app


def _create_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             help="Metrology LIMS operator commands (database, users, tokens, register, demo).")
def main() -> None:
    """Entry point of the ``lims`` console script."""


if __name__ == "__main__":  # python -m lims.console (the same as the `lims` script)
    main()

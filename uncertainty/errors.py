"""Exceptions raised by the :mod:`uncertainty` package.

Every error names the offending field (a dotted key path such as ``inputs.mS.u``) or, for
model expressions, the column of the offending token, so that a web form or a CLI can show
one readable line to the user.
"""
from __future__ import annotations

__all__ = ["UncertaintyError", "BudgetError", "ExpressionError"]


class UncertaintyError(ValueError):
    r"""Base class of every error raised deliberately by this package.

    The message is always one printable line: control characters that came in with untrusted
    keys or text (a JSON key holding a line break, say) are shown escaped.

    >>> str(UncertaintyError("inputs.a\nb: unknown key"))
    'inputs.a\\nb: unknown key'
    """

    def __init__(self, message: str, *args: object) -> None:
        super().__init__(_one_line(str(message)), *args)


def _one_line(text):
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class BudgetError(UncertaintyError):
    """Invalid input data: the message starts with the key path of the offending field.

    :param key: dotted path of the field, e.g. ``"inputs.mS.u"``
    :param problem: what is wrong, in plain words

    >>> str(BudgetError("inputs.x.u", "must be >= 0, got -1"))
    'inputs.x.u: must be >= 0, got -1'
    """

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem)


class ExpressionError(UncertaintyError):
    """A model expression was refused; ``column`` is 1-based (``None`` if unknown).

    :param problem: what is wrong
    :param column: 1-based column of the offending token in the expression text

    >>> str(ExpressionError("unknown name 'y'", 5))
    "unknown name 'y' at column 5"
    """

    def __init__(self, problem: str, column: int | None = None) -> None:
        self.problem = problem
        self.column = column
        super().__init__(problem if column is None else f"{problem} at column {column}")

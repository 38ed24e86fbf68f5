"""Exact reduction of the random numbers Monte Carlo needs: sums of independent Gaussian inputs.

A sub-expression ``c0 + c1*X1 + ... + cn*Xn`` of independent Gaussian inputs, each of which
occurs nowhere else in the model, is itself Gaussian (mean ``c0 + sum(ci*xi)``, standard
deviation ``sqrt(sum((ci*ui)**2))``), so :mod:`uncertainty.montecarlo` can draw one normal
number per trial for it instead of n.  The output distribution is unchanged.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from .expression import Node, parse, to_text  # noqa: F401  (used by the doctest)

__all__ = ["merge_gaussian_sums"]


def _occurrences(node, counts):
    if node[0] == "var":
        counts[node[1]] = counts.get(node[1], 0) + 1
    elif node[0] != "const":
        for child in node[1:]:
            if isinstance(child, tuple):
                _occurrences(child, counts)
    return counts


def _linear(node, eligible):
    """``(coefficients, constant)`` if ``node`` is an affine function of ``eligible`` names only."""
    kind = node[0]
    if kind == "const":
        return {}, node[1]
    if kind == "var":
        return ({node[1]: 1.0}, 0.0) if node[1] in eligible else None
    if kind == "neg":
        inner = _linear(node[1], eligible)
        return None if inner is None else _scaled(inner, -1.0)
    if kind not in ("add", "sub", "mul", "div"):
        return None
    left, right = _linear(node[1], eligible), _linear(node[2], eligible)
    if left is None or right is None:
        return None
    if kind in ("add", "sub"):
        return _summed(left, right, 1.0 if kind == "add" else -1.0)
    if kind == "mul" and not left[0]:
        return _scaled(right, left[1])
    if kind == "mul" and not right[0]:
        return _scaled(left, right[1])
    if kind == "div" and not right[0] and right[1] != 0:
        return _scaled(left, 1.0 / right[1])
    return None


def _scaled(affine, factor):
    return {k: factor * c for k, c in affine[0].items()}, factor * affine[1]


def _summed(left, right, sign):
    coeffs = dict(left[0])
    for k, c in right[0].items():
        coeffs[k] = coeffs.get(k, 0.0) + sign * c
    return coeffs, left[1] + sign * right[1]


def merge_gaussian_sums(tree: Node, gaussian: Mapping[str, tuple[float, float]]) -> tuple[Node, list]:
    """Replace sums of independent Gaussian inputs by one Gaussian variable each (exact).

    A sub-expression ``c0 + c1*X1 + ... + cn*Xn`` of independent Gaussian inputs, each of which
    occurs nowhere else in the model, is itself Gaussian with mean ``c0 + sum(ci*xi)`` and
    standard deviation ``sqrt(sum((ci*ui)**2))``.  Monte Carlo can therefore draw one normal
    number per trial for the whole sum instead of n: the distribution of the output is the same,
    only fewer random numbers are needed (JCGM 101 6.4.7; additive models as in 9.2.2).

    :param tree: a tree from :func:`parse`
    :param gaussian: mapping of name to ``(value, u)`` of independent Gaussian inputs
    :returns: ``(new_tree, merged)``, ``merged`` a list of ``(name, mean, u, members)``; the
        new names start with ``_`` (never a user input name)

    >>> t, merged = merge_gaussian_sums(parse("2*(a + b) * c"), {"a": (1.0, 0.3), "b": (2.0, 0.4)})
    >>> to_text(t), merged
    ('_g0*c', [('_g0', 6.0, 1.0, ('a', 'b'))])
    """
    counts = _occurrences(tree, {})
    eligible = frozenset(n for n in gaussian if counts.get(n) == 1)
    merged: list = []

    def new_variable(coeffs, const):
        name = f"_g{len(merged)}"
        mean = const + math.fsum(c * gaussian[k][0] for k, c in coeffs.items())
        u = math.sqrt(math.fsum((c * gaussian[k][1]) ** 2 for k, c in coeffs.items()))
        merged.append((name, mean, u, tuple(coeffs)))
        return ("var", name)

    def rewrite(node):
        if node[0] in ("const", "var"):
            return node
        found = _linear(node, eligible) if eligible else None
        if found is not None and len(found[0]) >= 2:
            return new_variable(*found)
        if node[0] in ("add", "sub") and eligible:
            partial = _merge_terms(node)
            if partial is not None:
                return partial
        if node[0] == "call":
            return ("call", node[1], rewrite(node[2]))
        return (node[0], *(rewrite(child) for child in node[1:]))

    def _merge_terms(node):
        """``a + X1 + b + X2`` (any order and signs): merge the Gaussian terms, keep the others."""
        terms = []
        _flatten(node, 1.0, terms)
        coeffs, const, others = {}, 0.0, []
        for sign, term in terms:
            found = _linear(term, eligible)
            if found is None or not found[0]:
                others.append((sign, term))
                continue
            for k, c in found[0].items():
                coeffs[k] = coeffs.get(k, 0.0) + sign * c
            const += sign * found[1]
        if len(coeffs) < 2:
            return None
        result = new_variable(coeffs, const)
        for sign, term in others:
            result = ("add" if sign > 0 else "sub", result, rewrite(term))
        return result

    return rewrite(tree), merged


def _flatten(node, sign, terms):
    if node[0] in ("add", "sub"):
        _flatten(node[1], sign, terms)
        _flatten(node[2], sign if node[0] == "add" else -sign, terms)
    elif node[0] == "neg":
        _flatten(node[1], -sign, terms)
    else:
        terms.append((sign, node))

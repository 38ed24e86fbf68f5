"""Safe measurement-model expressions: parse, evaluate and differentiate without eval.

An expression such as ``"mS + dm - mS*(rho_a - 1.2)*(1/rho_w - 1/rho_r)"`` is untrusted text
(it comes from web forms and budget files).  It is parsed with :func:`ast.parse` and then
translated, node by node, into a small private tree that can only contain numbers, input
names, ``+ - * / **``, unary minus and the functions in :data:`FUNCTIONS`.  Anything else
(attribute access, subscripts, calls of other names, keywords, strings, comparisons,
lambdas, huge exponents ...) raises :class:`~uncertainty.errors.ExpressionError` naming the
problem and its column.  The tree is never handed to :func:`eval`, :func:`exec` or
:func:`compile`; it is evaluated by closures over NumPy ufuncs, and differentiated
symbolically (exact sensitivity coefficients, GUM 5.1.3, and the higher derivatives used by
the second-order terms of GUM 5.1.2 note).

``^`` is read as ``**`` (the usual power sign in metrology software).

Tree nodes are tuples: ``("const", v)``, ``("var", name)``, ``("neg", a)``,
``("add"|"sub"|"mul"|"div"|"pow", a, b)`` and ``("call", fname, a)``.
"""
from __future__ import annotations

import ast
import logging
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import numpy as np

from .errors import ExpressionError

__all__ = ["FUNCTIONS", "Expression", "parse"]

log = logging.getLogger(__name__)

#: an expression tree: ``("const", v)``, ``("var", name)``, ``("neg", a)``, ``(op, a, b)``, ``("call", f, a)``
Node = tuple[Any, ...]
#: a compiled tree: mapping of input name to value(s) -> value(s)
Evaluator = Callable[[Mapping[str, Any]], Any]

#: Functions an expression may call (one positional argument each).
FUNCTIONS = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "ln": np.log, "log10": np.log10,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "abs": np.abs,
}
_INTERNAL = {"sign": np.sign}  # appears only in derivatives
CONSTANTS = {"pi": math.pi}
MAX_LENGTH = 4000
MAX_NODES = 2000
MAX_DEPTH = 100
MAX_EXPONENT = 100.0
#: Largest total size (elements, shared sub-trees counted each time they occur) of the
#: derivative trees of one expression, for the first and again for the higher derivatives.
#: Derivatives of deeply nested expressions grow polynomially (sin(sin(...)) of depth n has
#: third derivatives of size ~n**4); beyond this budget the model is refused instead of
#: taking unbounded time and memory.
MAX_DERIVATIVE_SIZE = 400_000

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
ZERO, ONE = ("const", 0.0), ("const", 1.0)


def _fold(kind, *values):
    with np.errstate(all="ignore"):
        if kind == "neg":
            result = -values[0]
        elif kind == "call":
            result = float((FUNCTIONS | _INTERNAL)[values[0]](values[1]))
        else:
            result = float(_UFUNCS[kind](np.float64(values[0]), np.float64(values[1])))
    if not math.isfinite(result):
        raise ExpressionError(f"constant sub-expression '{kind}' evaluates to {result}")
    return ("const", result)


def _is(node, value):
    return node[0] == "const" and node[1] == value


def neg(a: Node) -> Node:
    """Build ``-a`` with constant folding."""
    if a[0] == "const":
        return _fold("neg", a[1])
    return a[1] if a[0] == "neg" else ("neg", a)


def binop(kind: str, a: Node, b: Node) -> Node:
    """Build a binary node with constant folding and the identities of 0 and 1."""
    if a[0] == "const" and b[0] == "const":
        return _fold(kind, a[1], b[1])
    if kind == "add":
        return b if _is(a, 0.0) else a if _is(b, 0.0) else ("add", a, b)
    if kind == "sub":
        return neg(b) if _is(a, 0.0) else a if _is(b, 0.0) else ("sub", a, b)
    if kind == "mul":
        if _is(a, 0.0) or _is(b, 0.0):
            return ZERO
        return b if _is(a, 1.0) else a if _is(b, 1.0) else ("mul", a, b)
    if kind == "div":
        return ZERO if _is(a, 0.0) else a if _is(b, 1.0) else ("div", a, b)
    return ONE if _is(b, 0.0) else a if _is(b, 1.0) else ("pow", a, b)


def call(name: str, a: Node) -> Node:
    """Build ``name(a)`` with constant folding."""
    return _fold("call", name, a[1]) if a[0] == "const" else ("call", name, a)


class _Translator:
    """Walk a Python AST and build the private tree, refusing everything not whitelisted."""

    def __init__(self, names, lead=0):
        self.names = names
        self.lead = lead
        self.count = 0

    def __call__(self, node, depth=0):
        self.count += 1
        col = getattr(node, "col_offset", -1) + 1 + self.lead if hasattr(node, "col_offset") else None
        if self.count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} elements", col)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels", col)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ExpressionError(f"{_describe(node)} is not allowed", col)
        return method(node, depth + 1, col)

    def _Constant(self, node, depth, col):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"constant {value!r} is not a real number", col)
        try:
            value = float(value)
        except OverflowError:
            raise ExpressionError("number is too large", col) from None
        if not math.isfinite(value):
            raise ExpressionError("number is too large", col)
        return ("const", value)

    def _Name(self, node, depth, col):
        name = node.id
        if name in CONSTANTS and (self.names is None or name not in self.names):
            return ("const", CONSTANTS[name])
        if name in FUNCTIONS:
            raise ExpressionError(f"function '{name}' must be called with one argument", col)
        if self.names is not None and name not in self.names:
            known = ", ".join(sorted(self.names)) or "none"
            raise ExpressionError(f"unknown name '{name}' (inputs are: {known})", col)
        return ("var", name)

    def _UnaryOp(self, node, depth, col):
        operand = self(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return neg(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        raise ExpressionError(f"operator '{type(node.op).__name__}' is not allowed", col)

    def _BinOp(self, node, depth, col):
        kind = _BINOPS.get(type(node.op))
        if kind is None:
            raise ExpressionError(f"operator '{type(node.op).__name__}' is not allowed", col)
        left, right = self(node.left, depth), self(node.right, depth)
        if kind == "pow" and right[0] == "const" and abs(right[1]) > MAX_EXPONENT:
            raise ExpressionError(f"exponent {right[1]:g} is too large (limit {MAX_EXPONENT:g})", col)
        if kind == "div" and _is(right, 0.0):
            raise ExpressionError("division by zero", col)
        return binop(kind, left, right)

    def _Call(self, node, depth, col):
        func = node.func
        if isinstance(func, ast.Attribute):
            raise ExpressionError(f"method call '.{func.attr}(...)' is not allowed", col)
        if not isinstance(func, ast.Name):
            raise ExpressionError(f"calling {_describe(func)} is not allowed", col)
        if func.id not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(f"function '{func.id}' is not allowed (allowed: {allowed})", col)
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"function '{func.id}' takes exactly one positional argument", col)
        name = "log" if func.id == "ln" else func.id
        return call(name, self(node.args[0], depth))


def _describe(node):
    names = {"Attribute": "attribute access", "Subscript": "indexing", "Lambda": "lambda",
             "Compare": "comparison", "BoolOp": "boolean operator", "IfExp": "conditional",
             "Call": "function call", "Starred": "unpacking", "JoinedStr": "f-string",
             "ListComp": "comprehension", "GeneratorExp": "generator", "NamedExpr": "assignment"}
    kind = type(node).__name__
    return names.get(kind, f"'{kind}' syntax")


def parse(text: str, names: Collection[str] | None = None) -> Node:
    """Parse untrusted expression text into a whitelisted tree (nothing is executed).

    :param text: the expression, e.g. ``"a + b*sqrt(c)"``
    :param names: allowed input names, or ``None`` to accept any identifier
    :returns: the tree (nested tuples)
    :raises ExpressionError: naming the problem and its 1-based column

    >>> parse("2*x + 1", {"x"})
    ('add', ('mul', ('const', 2.0), ('var', 'x')), ('const', 1.0))
    >>> parse("x.__class__", {"x"})
    Traceback (most recent call last):
    ...
    uncertainty.errors.ExpressionError: attribute access is not allowed at column 1
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("expression is empty")
    text = text.replace("^", "**")  # '^' is the usual power sign; strings are refused, so this is safe
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}", (exc.offset or 0) + lead or None) from None
    except RecursionError:
        raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, MemoryError) as exc:
        raise ExpressionError(f"expression cannot be parsed: {type(exc).__name__}") from None
    names = None if names is None else frozenset(names)
    return _Translator(names, lead)(tree.body)


def tree_size(node: Node, limit: float = math.inf, memo: dict[int, float] | None = None) -> float:
    """Number of elements of a tree, counting shared sub-trees every time they occur.

    Runs in time proportional to the number of *distinct* nodes, so it can measure derivative
    trees whose expanded size is far too large to walk.

    :param node: a tree
    :param limit: stop counting (and return a value > ``limit``) once it is exceeded
    :returns: the size

    >>> tree_size(parse("a*b + sin(a)"))
    6
    """
    memo = {} if memo is None else memo
    key = id(node)
    if key in memo:
        return memo[key]
    size: float = 1
    if node[0] not in ("const", "var"):
        for child in node[1:]:
            if isinstance(child, tuple):
                size += tree_size(child, limit, memo)
                if size > limit:
                    break
    memo[key] = size
    return size


class _SizeBudget:
    """Running total of derivative-tree sizes; refuses the model beyond ``limit``."""

    def __init__(self, what, limit=None):
        self.what = what
        self.limit = MAX_DERIVATIVE_SIZE if limit is None else limit
        self.total = 0

    def charge(self, tree):
        self.total += tree_size(tree, self.limit - self.total)
        if self.total > self.limit:
            raise ExpressionError(f"model is too complex: its {self.what} exceed {self.limit} elements")
        return tree


def variables(node: Node, found: set[str] | None = None) -> set[str]:
    """Return the set of input names used in a tree.

    :param node: a tree from :func:`parse`
    :returns: set of names
    """
    found = set() if found is None else found
    if node[0] == "var":
        found.add(node[1])
    elif node[0] != "const":
        for child in node[1:]:
            if isinstance(child, tuple):
                variables(child, found)
    return found


def derivative(node: Node, var: str) -> Node:
    """Symbolic partial derivative of a tree with respect to ``var``.

    :param node: a tree from :func:`parse`
    :param var: input name
    :returns: the derivative tree (simplified by constant folding)

    >>> to_text(derivative(parse("x**3 + y*x"), "x"))
    '3*x**2 + y'
    """
    kind = node[0]
    if kind == "const":
        return ZERO
    if kind == "var":
        return ONE if node[1] == var else ZERO
    if kind == "neg":
        return neg(derivative(node[1], var))
    if kind == "call":
        return binop("mul", _outer(node[1], node[2]), derivative(node[2], var))
    a, b = node[1], node[2]
    da, db = derivative(a, var), derivative(b, var)
    if kind in ("add", "sub"):
        return binop(kind, da, db)
    if kind == "mul":
        return binop("add", binop("mul", da, b), binop("mul", a, db))
    if kind == "div":
        return binop("sub", binop("div", da, b), binop("div", binop("mul", a, db), binop("pow", b, ("const", 2.0))))
    return _dpow(node, a, b, da, db)


def _dpow(node, a, b, da, db):
    if b[0] == "const":
        return binop("mul", binop("mul", b, binop("pow", a, ("const", b[1] - 1.0))), da)
    term_b = binop("mul", binop("mul", node, call("log", a)), db)
    if _is(da, 0.0):
        return term_b
    return binop("add", binop("mul", binop("mul", b, binop("pow", a, binop("sub", b, ONE))), da), term_b)


def _outer(name, a):
    """Derivative of the one-argument function ``name`` at ``a``."""
    two = ("const", 2.0)
    one_minus_sq = binop("sub", ONE, binop("pow", a, two))
    table = {
        "sqrt": lambda: binop("div", ("const", 0.5), call("sqrt", a)),
        "exp": lambda: call("exp", a),
        "log": lambda: binop("div", ONE, a),
        "log10": lambda: binop("div", ("const", 1.0 / math.log(10.0)), a),
        "sin": lambda: call("cos", a),
        "cos": lambda: neg(call("sin", a)),
        "tan": lambda: binop("div", ONE, binop("pow", call("cos", a), two)),
        "asin": lambda: binop("div", ONE, call("sqrt", one_minus_sq)),
        "acos": lambda: neg(binop("div", ONE, call("sqrt", one_minus_sq))),
        "atan": lambda: binop("div", ONE, binop("add", ONE, binop("pow", a, two))),
        "sinh": lambda: call("cosh", a),
        "cosh": lambda: call("sinh", a),
        "tanh": lambda: binop("sub", ONE, binop("pow", call("tanh", a), two)),
        "abs": lambda: call("sign", a),
        "sign": lambda: ZERO,
    }
    return table[name]()


def compile_tree(node: Node, memo: dict[int, tuple[Evaluator, Node]] | None = None) -> Evaluator:
    """Turn a tree into a fast evaluator ``f(env) -> value`` built from closures.

    Sub-trees shared by several parts of a derivative tree are compiled once.

    :param node: a tree from :func:`parse` or :func:`derivative`
    :param memo: cache of compiled sub-trees (by identity), shared by recursive calls
    :returns: a callable taking a mapping of input name to float or NumPy array
    """
    memo = {} if memo is None else memo
    key = id(node)
    if key not in memo:
        memo[key] = (_compile(node, memo), node)  # keep node alive so its id stays unique
    return memo[key][0]


def _compile(node, memo):
    kind = node[0]
    if kind == "const":
        value = node[1]
        return lambda env: value
    if kind == "var":
        name = node[1]
        return lambda env: env[name]
    if kind == "neg":
        inner = compile_tree(node[1], memo)
        return lambda env: np.negative(inner(env))
    if kind == "call":
        func, inner = (FUNCTIONS | _INTERNAL)[node[1]], compile_tree(node[2], memo)
        return lambda env: func(inner(env))
    left, right = compile_tree(node[1], memo), compile_tree(node[2], memo)
    if kind == "pow" and node[2][0] == "const":
        return _compile_const_pow(left, node[2][1])
    op = _UFUNCS[kind]
    return lambda env: op(left(env), right(env))


def _compile_const_pow(base, exponent):
    if exponent == 2.0:
        return lambda env: np.square(base(env))
    if exponent == 0.5:
        return lambda env: np.sqrt(base(env))
    if exponent == -1.0:
        return lambda env: np.reciprocal(np.asarray(base(env), dtype=float))
    return lambda env: np.power(base(env), exponent)


def to_text(node: Node, parent: int = 0) -> str:
    """Render a tree back to expression text (used in docs and error messages).

    :param node: a tree
    :returns: text that :func:`parse` reads back to the same tree
    """
    kind = node[0]
    if kind == "const":
        return repr(node[1]).removesuffix(".0") if node[1] >= 0 else f"({node[1]!r})"
    if kind == "var":
        return node[1]
    if kind == "call":
        return f"{node[1]}({to_text(node[2])})"
    prec = _PRECEDENCE[kind]
    if kind == "neg":
        text = "-" + to_text(node[1], prec)
    else:
        right_prec = prec + 1 if kind in ("sub", "div") else prec
        left_prec = prec + 1 if kind == "pow" else prec
        text = f"{to_text(node[1], left_prec)}{_spaced(kind)}{to_text(node[2], right_prec)}"
    return f"({text})" if prec < parent else text


def _spaced(kind):
    return f" {_SYMBOLS[kind]} " if kind in ("add", "sub") else _SYMBOLS[kind]


class Expression:
    """A parsed model expression with exact derivatives, compiled once and reused.

    :param text: the expression text (untrusted)
    :param names: the allowed input names (every name used must be one of them)
    :raises ExpressionError: if the text is refused

    >>> f = Expression("a*b + sin(a)", ["a", "b"])
    >>> float(f({"a": 0.0, "b": 2.0}))
    0.0
    >>> [float(g) for g in f.gradient({"a": 0.0, "b": 2.0})]
    [3.0, 0.0]
    """

    def __init__(self, text: str, names: Iterable[str]) -> None:
        self.text = text
        self.names = tuple(names)
        self.tree = parse(text, self.names)
        self._f = compile_tree(self.tree)
        self._used = frozenset(variables(self.tree))
        budget = _SizeBudget("first derivatives")
        self._grad_trees = [budget.charge(derivative(self.tree, n)) if n in self._used else ZERO
                            for n in self.names]
        self._grad = [compile_tree(t) for t in self._grad_trees]
        self._second: tuple[list[list[Evaluator]], list[list[Evaluator]]] | None = None

    def __call__(self, env):
        """Evaluate at a mapping of name to float or array.

        :param env: mapping of input name to value(s)
        :returns: the model value(s)
        """
        return self._f(env)

    def gradient(self, env: Mapping[str, Any]) -> list[Any]:
        """Exact first derivatives, in the order of ``names``.

        :param env: mapping of input name to value
        :returns: list of partial derivatives
        """
        return [g(env) for g in self._grad]

    def higher_derivatives(self, env: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Second and third derivatives needed by GUM 5.1.2 note (eq. 10).

        :param env: mapping of input name to value
        :returns: ``(H, T)`` with ``H[i, j] = d2f/dxi dxj`` and ``T[i, j] = d3f/dxi dxj2``
        :raises ExpressionError: if the derivative trees exceed :data:`MAX_DERIVATIVE_SIZE`
        """
        n = len(self.names)
        if self._second is None:
            budget = _SizeBudget("second and third derivatives")

            def diff(tree, name):
                return budget.charge(derivative(tree, name)) if name in self._used and tree[0] != "const" else ZERO

            hess = [[diff(self._grad_trees[i], self.names[j]) for j in range(n)] for i in range(n)]
            third = [[diff(hess[j][j], self.names[i]) for j in range(n)] for i in range(n)]
            memo: dict[int, tuple[Evaluator, Node]] = {}
            self._second = ([[compile_tree(t, memo) for t in row] for row in hess],
                            [[compile_tree(t, memo) for t in row] for row in third])
        hess_f, third_f = self._second
        return (np.array([[float(f(env)) for f in row] for row in hess_f]),
                np.array([[float(f(env)) for f in row] for row in third_f]))

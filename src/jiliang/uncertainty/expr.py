"""Safe expression parser, symbolic differentiation and vectorised evaluation.

Equations are parsed with :mod:`ast` (``mode="eval"``) and translated, node by node, into
our own small expression tree through an allow-list: numbers, names, ``+ - * / **``, unary
``+ -``, parentheses and the functions in :data:`FUNCTIONS`.  User text is never passed to
``eval``, ``exec`` or ``compile``.

Derivatives are exact: :func:`diff` builds the derivative tree symbolically (with constant
folding), so the GUM sensitivity coefficients (JCGM 100 5.1.3), the second- and third-order
derivatives of the GUM 5.1.2 note and the vectorised batch evaluation all use the same
evaluator :func:`evaluate`, which works on floats and on NumPy arrays alike.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import ExpressionError

__all__ = [
    "FUNCTIONS",
    "Node",
    "Num",
    "Var",
    "Op",
    "parse_equation",
    "parse_expression",
    "diff",
    "evaluate",
    "free_names",
    "substitute",
    "to_text",
]

#: user-callable functions and their number of arguments
FUNCTIONS: dict[str, int] = {
    "sqrt": 1,
    "exp": 1,
    "log": 1,
    "ln": 1,
    "log10": 1,
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "asin": 1,
    "acos": 1,
    "atan": 1,
    "atan2": 2,
    "sinh": 1,
    "cosh": 1,
    "tanh": 1,
    "abs": 1,
}
#: named constants usable in equations
CONSTANTS: dict[str, float] = {"pi": math.pi}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OP_TEXT = {
    ast.BitXor: "^",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Not: "not",
}


class Node:
    """Base of the expression tree (immutable)."""

    __slots__ = ()


class Num(Node):
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = float(value)


class Var(Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Op(Node):
    """An operator or function application: ``op`` is ``+ - * / ** neg`` or a function."""

    __slots__ = ("op", "args")

    def __init__(self, op: str, *args: Node) -> None:
        self.op = op
        self.args = args


ZERO = Num(0.0)
ONE = Num(1.0)


def _is(node: Node, value: float) -> bool:
    return isinstance(node, Num) and node.value == value


# ---------------------------------------------------------------- simplifying builders
def add(a: Node, b: Node) -> Node:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value + b.value)
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    return Op("+", a, b)


def sub(a: Node, b: Node) -> Node:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value - b.value)
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return neg(b)
    return Op("-", a, b)


def mul(a: Node, b: Node) -> Node:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value * b.value)
    if _is(a, 0.0) or _is(b, 0.0):
        return ZERO
    if _is(a, 1.0):
        return b
    if _is(b, 1.0):
        return a
    if _is(a, -1.0):
        return neg(b)
    if _is(b, -1.0):
        return neg(a)
    return Op("*", a, b)


def div(a: Node, b: Node) -> Node:
    if _is(a, 0.0) and not _is(b, 0.0):
        return ZERO
    if _is(b, 1.0):
        return a
    if isinstance(a, Num) and isinstance(b, Num) and b.value != 0.0:
        return Num(a.value / b.value)
    return Op("/", a, b)


def power(a: Node, b: Node) -> Node:
    if _is(b, 0.0):
        return ONE
    if _is(b, 1.0):
        return a
    if isinstance(a, Num) and isinstance(b, Num):
        try:
            v = a.value**b.value
        except (OverflowError, ZeroDivisionError):
            return Op("**", a, b)
        if isinstance(v, float) and math.isfinite(v):
            return Num(v)
    return Op("**", a, b)


def neg(a: Node) -> Node:
    if isinstance(a, Num):
        return Num(-a.value)
    if isinstance(a, Op) and a.op == "neg":
        return a.args[0]
    return Op("neg", a)


def call(fn: str, *args: Node) -> Node:
    return Op(fn, *args)


# ---------------------------------------------------------------- parser
def _pos(node: ast.AST, offset: int) -> int:
    return getattr(node, "col_offset", 0) + 1 - offset


def _translate(
    node: ast.AST, text: str, field: str, offset: int, names: dict[str, int] | None = None
) -> Node:
    if names is None:
        names = {}
    if isinstance(node, ast.Expression):
        return _translate(node.body, text, field, offset, names)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(
                f"only real numbers are allowed, not {node.value!r}",
                code="token",
                field=field,
                position=_pos(node, offset),
                token=repr(node.value),
            )
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        names.setdefault(node.id, _pos(node, offset))
        return Var(node.id)
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            tok = _OP_TEXT.get(type(node.op), type(node.op).__name__)
            hint = "; use ** for a power" if tok == "^" else ""
            left_end = getattr(node.left, "end_col_offset", node.col_offset) or 0
            found = text.find(tok, left_end)
            col = (found if found >= 0 else left_end) + 1 - offset
            raise ExpressionError(
                f"operator '{tok}' is not allowed{hint}",
                code="token",
                field=field,
                position=col,
                token=tok,
            )
        a = _translate(node.left, text, field, offset, names)
        b = _translate(node.right, text, field, offset, names)
        return Op(op, a, b)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return Op("neg", _translate(node.operand, text, field, offset, names))
        if isinstance(node.op, ast.UAdd):
            return _translate(node.operand, text, field, offset, names)
        tok = _OP_TEXT.get(type(node.op), type(node.op).__name__)
        raise ExpressionError(
            f"operator '{tok}' is not allowed",
            code="token",
            field=field,
            position=_pos(node, offset),
            token=tok,
        )
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(
                "only plain function names may be called",
                code="token",
                field=field,
                position=_pos(node, offset),
                token=ast.get_source_segment(text, node.func),
            )
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"unsupported function '{name}'; allowed: {', '.join(sorted(FUNCTIONS))}",
                code="unknown_function",
                field=field,
                position=_pos(node, offset),
                token=name,
            )
        if (
            node.keywords
            or len(node.args) != FUNCTIONS[name]
            or any(isinstance(a, ast.Starred) for a in node.args)
        ):
            raise ExpressionError(
                f"function '{name}' takes {FUNCTIONS[name]} positional argument(s)",
                code="arity",
                field=field,
                position=_pos(node, offset),
                token=name,
            )
        args = [_translate(a, text, field, offset, names) for a in node.args]
        return Op("log" if name == "ln" else name, *args)
    seg = ast.get_source_segment(text, node) or type(node).__name__
    raise ExpressionError(
        f"'{seg}' is not allowed in a measurement model",
        code="token",
        field=field,
        position=_pos(node, offset),
        token=seg,
    )


def _parse(text: str, field: str, offset: int = 0, names: dict[str, int] | None = None) -> Node:
    if len(text) > 20000:
        raise ExpressionError("expression longer than 20000 characters", code="limit", field=field)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = (exc.offset or 1) - offset
        line = text.splitlines()[exc.lineno - 1] if exc.lineno and text.splitlines() else text
        tok = line[exc.offset - 1 : exc.offset] if exc.offset and exc.offset <= len(line) else ""
        raise ExpressionError(
            f"syntax error: {exc.msg}",
            code="syntax",
            field=field,
            position=max(col, 1),
            token=tok or None,
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse: {exc}", code="syntax", field=field) from None
    try:
        return _translate(tree, text, field, offset, names)
    except RecursionError:
        raise ExpressionError("expression nested too deeply", code="limit", field=field) from None


def parse_expression(text: str, field: str = "expression") -> Node:
    """Parse a right-hand side such as ``"m_R*(1 + a)"`` into a tree (allow-list only)."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be a string", code="type", field=field)
    if "\n" in text or "\r" in text:
        raise ExpressionError("an expression must be on one line", code="syntax", field=field)
    return _parse(text, field)


def parse_equation(
    text: str, field: str = "equation", names: dict[str, int] | None = None
) -> tuple[str, Node]:
    """Parse ``"y = f(x1, x2, ...)"`` and return ``(name, tree)``.

    Column positions in errors refer to the full equation text (1-based).  If ``names`` is
    given it receives each variable name used with the column of its first occurrence.
    """
    if not isinstance(text, str):
        raise ExpressionError(
            "an equation must be a string like 'y = a*b'", code="type", field=field
        )
    if "\n" in text or "\r" in text:
        raise ExpressionError("an equation must be on one line", code="syntax", field=field)
    if text.count("=") != 1 or "==" in text:
        raise ExpressionError(
            "an equation needs exactly one '=' with the output name on its left",
            code="equation",
            field=field,
            token="=",
        )
    lhs, rhs = text.split("=")
    name = lhs.strip()
    if not name.isidentifier() or name in FUNCTIONS or name in CONSTANTS:
        raise ExpressionError(
            f"'{name}' is not a valid output name",
            code="equation",
            field=field,
            position=len(lhs) - len(lhs.lstrip()) + 1,
            token=name or "=",
        )
    offset = len(lhs) + 1
    if not rhs.strip():
        raise ExpressionError(
            "the right-hand side is empty", code="syntax", field=field, position=offset + 1
        )
    # parse the right-hand side with its leading blanks kept, so columns stay true
    stripped = rhs.lstrip()
    lead = len(rhs) - len(stripped)
    tree = _parse(stripped, field, offset=-(offset + lead), names=names)
    return name, tree


# ---------------------------------------------------------------- utilities
def free_names(node: Node, out: set[str] | None = None) -> set[str]:
    """Names of the variables a tree depends on."""
    if out is None:
        out = set()
    stack = [node]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Var):
            out.add(n.name)
        elif isinstance(n, Op):
            stack.extend(n.args)
    return out


def substitute(node: Node, env: Mapping[str, Node]) -> Node:
    """Replace variables by trees (used to inline earlier equations and constants)."""
    memo: dict[int, Node] = {}

    def go(n: Node) -> Node:
        key = id(n)
        if key in memo:
            return memo[key]
        if isinstance(n, Var):
            r = env.get(n.name, n)
        elif isinstance(n, Op):
            args = [go(a) for a in n.args]
            r = _rebuild(n.op, args)
        else:
            r = n
        memo[key] = r
        return r

    return go(node)


def _rebuild(op: str, args: list[Node]) -> Node:
    if op == "+":
        return add(*args)
    if op == "-":
        return sub(*args)
    if op == "*":
        return mul(*args)
    if op == "/":
        return div(*args)
    if op == "**":
        return power(*args)
    if op == "neg":
        return neg(args[0])
    if all(isinstance(a, Num) for a in args) and op in _SCALAR:
        try:
            v = _SCALAR[op](*[a.value for a in args])  # type: ignore[attr-defined]
        except (ValueError, OverflowError, ZeroDivisionError):
            return Op(op, *args)
        if math.isfinite(v):
            return Num(v)
    return Op(op, *args)


_SCALAR: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "abs": abs,
    "sign": lambda x: float(np.sign(x)),
}

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def to_text(node: Node) -> str:
    """Readable text of a tree (used in error messages that name a term)."""

    def go(n: Node, parent: int = 0) -> str:
        if isinstance(n, Num):
            return repr(n.value) if n.value < 0 and parent else f"{n.value:g}"
        if isinstance(n, Var):
            return n.name
        assert isinstance(n, Op)
        if n.op in ("+", "-", "*", "/", "**"):
            p = _PREC[n.op]
            s = f"{go(n.args[0], p)} {n.op} {go(n.args[1], p + (n.op in '-/'))}"
            return f"({s})" if p < parent or (n.op == "**" and parent == p) else s
        if n.op == "neg":
            s = f"-{go(n.args[0], 3)}"
            return f"({s})" if parent >= 3 else s
        return f"{n.op}({', '.join(go(a) for a in n.args)})"

    return go(node)


# ---------------------------------------------------------------- differentiation
def diff(node: Node, name: str, memo: dict[int, Node] | None = None) -> Node:
    """Exact derivative d node / d name as a new (constant-folded) tree."""
    if memo is None:
        memo = {}
    key = id(node)
    if key in memo:
        return memo[key]
    r = _diff(node, name, memo)
    memo[key] = r
    return r


def _diff(n: Node, x: str, memo: dict[int, Node]) -> Node:
    if isinstance(n, Num):
        return ZERO
    if isinstance(n, Var):
        return ONE if n.name == x else ZERO
    assert isinstance(n, Op)
    a = n.args[0]
    da = diff(a, x, memo)
    op = n.op
    if op in ("+", "-", "*", "/", "**"):
        b = n.args[1]
        db = diff(b, x, memo)
        if op == "+":
            return add(da, db)
        if op == "-":
            return sub(da, db)
        if op == "*":
            return add(mul(da, b), mul(a, db))
        if op == "/":
            return sub(div(da, b), div(mul(a, db), mul(b, b)))
        # power
        if _is(db, 0.0):
            if _is(da, 0.0):
                return ZERO
            return mul(mul(b, power(a, sub(b, ONE))), da)
        term = mul(db, call("log", a))
        if not _is(da, 0.0):
            term = add(term, div(mul(b, da), a))
        return mul(n, term)
    if _is(da, 0.0) and (op != "atan2" or _is(diff(n.args[1], x, memo), 0.0)):
        return ZERO
    if op == "neg":
        return neg(da)
    if op == "sqrt":
        return div(da, mul(Num(2.0), n))
    if op == "exp":
        return mul(n, da)
    if op == "log":
        return div(da, a)
    if op == "log10":
        return div(da, mul(a, Num(math.log(10.0))))
    if op == "sin":
        return mul(call("cos", a), da)
    if op == "cos":
        return neg(mul(call("sin", a), da))
    if op == "tan":
        return mul(add(ONE, mul(n, n)), da)
    if op == "asin":
        return div(da, call("sqrt", sub(ONE, mul(a, a))))
    if op == "acos":
        return neg(div(da, call("sqrt", sub(ONE, mul(a, a)))))
    if op == "atan":
        return div(da, add(ONE, mul(a, a)))
    if op == "atan2":
        b = n.args[1]  # atan2(a, b): angle of the point (b, a)
        db = diff(b, x, memo)
        return div(sub(mul(b, da), mul(a, db)), add(mul(a, a), mul(b, b)))
    if op == "sinh":
        return mul(call("cosh", a), da)
    if op == "cosh":
        return mul(call("sinh", a), da)
    if op == "tanh":
        return mul(sub(ONE, mul(n, n)), da)
    if op == "abs":
        return mul(call("sign", a), da)
    if op == "sign":
        return ZERO
    raise ExpressionError(f"cannot differentiate '{op}'", code="unknown_function", token=op)


# ---------------------------------------------------------------- evaluation
_NUMPY: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.abs,
    "sign": np.sign,
}


def evaluate(node: Node, env: Mapping[str, Any], cache: dict[int, Any] | None = None) -> Any:
    """Evaluate a tree with NumPy semantics; ``env`` maps names to floats or arrays.

    Shared sub-trees are evaluated once per ``cache`` (pass the same dict to evaluate many
    trees built from the same model, e.g. all derivatives).  The cache holds the nodes it
    has seen, so their ids stay unique while it lives.
    """
    if cache is None:
        cache = {}
    key = id(node)
    hit = cache.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    if isinstance(node, Num):
        r: Any = node.value
    elif isinstance(node, Var):
        r = env[node.name]
    else:
        assert isinstance(node, Op)
        op = node.op
        if op == "+":
            r = evaluate(node.args[0], env, cache) + evaluate(node.args[1], env, cache)
        elif op == "-":
            r = evaluate(node.args[0], env, cache) - evaluate(node.args[1], env, cache)
        elif op == "*":
            r = evaluate(node.args[0], env, cache) * evaluate(node.args[1], env, cache)
        elif op == "/":
            r = np.true_divide(
                evaluate(node.args[0], env, cache), evaluate(node.args[1], env, cache)
            )
        elif op == "**":
            base = evaluate(node.args[0], env, cache)
            ex = node.args[1]
            if isinstance(ex, Num) and ex.value == 2.0:
                r = base * base
            else:
                r = np.power(
                    np.asarray(base, dtype=float) if np.ndim(base) == 0 else base,
                    evaluate(ex, env, cache),
                )
        elif op == "neg":
            r = -evaluate(node.args[0], env, cache)
        else:
            r = _NUMPY[op](*[evaluate(a, env, cache) for a in node.args])
    cache[key] = (node, r)  # holding the node keeps its id from being reused
    return r


def count_nodes(node: Node) -> int:
    """Number of distinct nodes (a guard against derivative blow-up)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Op):
            stack.extend(n.args)
    return len(seen)


# ---------------------------------------------------------------- in-place evaluation plan
_UFUNC: dict[str, Any] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "**": np.power,
    "neg": np.negative,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.absolute,
    "sign": np.sign,
}


class Plan:
    """Trees compiled once into a list of ufunc calls writing into reusable buffers.

    Evaluating block after block of Monte Carlo trials then allocates nothing: every
    intermediate result goes into one of a few preallocated buffers (``out=``), chosen by a
    liveness analysis of the expression DAG.  This is what makes the MCM run near the speed
    of drawing the random numbers.
    """

    def __init__(self, trees: list[Node]) -> None:
        order: list[Node] = []
        seen: set[int] = set()
        for root in trees:
            stack: list[tuple[Node, bool]] = [(root, False)]
            while stack:
                node, done = stack.pop()
                if id(node) in seen:
                    continue
                if done or not isinstance(node, Op):
                    seen.add(id(node))
                    order.append(node)
                    continue
                stack.append((node, True))
                stack.extend((a, False) for a in reversed(node.args))
        pos = {id(n): i for i, n in enumerate(order)}
        last_use = {id(n): -1 for n in order}
        for i, n in enumerate(order):
            if isinstance(n, Op):
                for a in n.args:
                    last_use[id(a)] = i
        for root in trees:
            last_use[id(root)] = len(order)
        # operands: ("c", value) | ("v", name) | ("b", buffer index)
        where: dict[int, tuple[str, Any]] = {}
        free: list[int] = []
        nbuf = 0
        steps: list[tuple[Any, tuple[tuple[str, Any], ...], int]] = []
        for i, n in enumerate(order):
            if isinstance(n, Num):
                where[id(n)] = ("c", n.value)
                continue
            if isinstance(n, Var):
                where[id(n)] = ("v", n.name)
                continue
            assert isinstance(n, Op)
            args = tuple(where[id(a)] for a in n.args)
            op = n.op
            fn = _UFUNC[op]
            if op == "**" and args[1] == ("c", 2.0):
                fn, args = np.multiply, (args[0], args[0])
            if all(kind == "c" for kind, _ in args):
                with np.errstate(all="ignore"):
                    where[id(n)] = ("c", float(fn(*[v for _, v in args])))
                continue
            # free the buffers whose last use is this step (they may be the output)
            for a in n.args:
                w = where[id(a)]
                if w[0] == "b" and last_use[id(a)] == i and w[1] not in free:
                    free.append(w[1])
            if free:
                b = free.pop()
            else:
                b = nbuf
                nbuf += 1
            steps.append((fn, args, b))
            where[id(n)] = ("b", b)
        del pos
        self.steps = steps
        self.nbuf = nbuf
        self.results = [where[id(t)] for t in trees]

    def run(self, env: Mapping[str, np.ndarray], buffers: list[np.ndarray], n: int) -> list[Any]:
        """Evaluate on the first ``n`` elements; returns one array (or float) per tree.

        The arrays returned are views of ``buffers`` or of ``env``: copy them out before the
        next call.
        """
        views = [b[:n] for b in buffers]

        def get(w: tuple[str, Any]) -> Any:
            kind, v = w
            if kind == "b":
                return views[v]
            if kind == "v":
                return env[v]
            return v

        for fn, args, b in self.steps:
            fn(*[get(a) for a in args], out=views[b])
        return [get(w) for w in self.results]

"""The catalog's small expression language: Python syntax, a whitelist of nodes, compiled to Ibis.

Measures, filters and dimensions name columns (`quantity`, or `orders.paid_at` through a declared join);
derived metrics name other metrics. Parsing is separate from compiling so `warroom metrics --check` can
report every unknown name without a database. Nothing here ever becomes SQL text: the compiler builds
Ibis expressions and Ibis quotes the literals.
"""

import ast
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
# name -> number(s) of arguments; the rest are column functions. `param('name')` reads a catalog parameter;
# `param('name', key)` a parameter that varies by a column's value (commission by category), falling back to
# its `value` for a key it does not list.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "isnull": (1,), "notnull": (1,), "coalesce": (2,), "if_else": (3,), "param": (1, 2), "nullif_zero": (1,),
}  # fmt: skip


class ExprError(ValueError):
    """A catalog expression that does not parse or uses something outside the language."""


def parse(text: str) -> ast.expr:
    """Parse and check the syntax; raises ExprError naming the offending part."""
    try:
        tree = ast.parse(str(text), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"does not parse: {exc.msg} in {text!r}") from None
    for node in ast.walk(tree):
        _check_node(node, text)
    return tree


def _check_node(node: ast.AST, text: str) -> None:
    allowed = (
        ast.BinOp, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Call, ast.Name, ast.Attribute, ast.Constant,
        ast.List, ast.Tuple, ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.In, ast.NotIn,
        *_BINOPS, *_COMPARE,
    )  # fmt: skip
    if not isinstance(node, allowed):
        raise ExprError(f"{type(node).__name__} is not allowed in {text!r}")
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function in {text!r}; the functions are {', '.join(FUNCTIONS)}")
        if len(node.args) not in FUNCTIONS[name] or node.keywords:
            counts = " or ".join(map(str, FUNCTIONS[name]))
            raise ExprError(f"{name}() takes {counts} positional argument(s) in {text!r}")
        if name == "param" and not (
            isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        ):
            raise ExprError(f"param() takes a parameter's name in quotes first in {text!r}")
    if isinstance(node, ast.Compare) and len(node.ops) != 1:
        raise ExprError(f"write chained comparisons with 'and' in {text!r}")


def names(tree: ast.expr) -> list[tuple[str, ...]]:
    """Every referenced name as a path: ('quantity',), ('orders', 'channels', 'channel_group')."""
    out: list[tuple[str, ...]] = []
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            skip.add(id(node.func))
        if id(node) in skip:
            continue
        if isinstance(node, ast.Attribute):
            path = _path(node)
            out.append(path)
            skip.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Name):
            out.append((node.id,))
    return out


def params(tree: ast.expr) -> list[tuple[str, bool]]:
    """(name, read with a key) of every catalog parameter the expression reads."""
    return [
        (n.args[0].value, len(n.args) == 2)  # type: ignore[attr-defined]
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and n.func.id == "param"  # type: ignore[attr-defined]
    ]


def _path(node: ast.expr) -> tuple[str, ...]:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return (*_path(node.value), node.attr)
    raise ExprError(f"{ast.unparse(node)} is not a column path")


def _literal(value: Any) -> Any:
    # Floats become exact decimals: a cost rate times a DECIMAL money sum must stay DECIMAL (fen-exact).
    if isinstance(value, float):
        return ibis.literal(Decimal(repr(value)))
    return value


def _beside(value: Any, other: Any) -> Any:
    """A decimal constant met by a floating value, as a float: the result is DOUBLE either way, and the same
    value, but DuckDB binds each CAST(1 AS DECIMAL(18, 3)) on every run (the two in a requests-by-minute
    query took ~0.07 ms of its 1.6 ms fixed cost)."""
    if not isinstance(other, ir.FloatingValue):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, ir.Scalar) and isinstance(value.op(), ops.Literal) and value.type().is_decimal():
        return float(value.op().value)
    return value


def _rate(value: Any) -> ir.Value:
    # One explicit type for every value of a keyed parameter: typed one by one, the CASE takes the first
    # branch's scale and 0.0055 after 0.006 would become 0.006. Ibis multiplies DECIMAL(18, 2) money only by
    # a decimal of the same precision.
    return ibis.literal(Decimal(str(value)), type="decimal(18, 6)")


def to_ibis(
    tree: ast.expr,
    resolve: Callable[[tuple[str, ...]], ir.Value],
    param: Callable[[str], Any],
    param_by: Callable[[str], dict[str, Any]] = lambda name: {},
) -> ir.Value:
    """Compile a parsed expression; `resolve` maps a name path to an Ibis value, `param` a parameter's value
    and `param_by` its values by key."""

    def go(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return _literal(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            return resolve(_path(node))
        if isinstance(node, ast.BinOp):
            left, right = go(node.left), go(node.right)
            return _BINOPS[type(node.op)](_beside(left, right), _beside(right, left))
        if isinstance(node, ast.UnaryOp):
            value = go(node.operand)
            return ~value if isinstance(node.op, ast.Not) else -value
        if isinstance(node, ast.BoolOp):
            values = [go(v) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.Compare):
            left, op, right = go(node.left), node.ops[0], node.comparators[0]
            if isinstance(op, ast.In | ast.NotIn):
                items = [go(e) for e in right.elts]  # type: ignore[attr-defined]
                return left.isin(items) if isinstance(op, ast.In) else left.notin(items)
            right = go(right)
            return _COMPARE[type(op)](_beside(left, right), _beside(right, left))
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            if name == "param":
                pname = node.args[0].value  # type: ignore[attr-defined]
                if len(node.args) == 1:
                    return _literal(param(pname))
                key = go(node.args[1])
                cases = [(key == k, _rate(v)) for k, v in param_by(pname).items()]
                return ibis.cases(*cases, else_=_rate(param(pname)))
            args = [go(a) for a in node.args]
            if name == "isnull":
                return args[0].isnull()
            if name == "notnull":
                return args[0].notnull()
            if name == "coalesce":
                return ibis.coalesce(*args)
            if name == "nullif_zero":
                return args[0].nullif(0)
            return ibis.ifelse(*args)
        if isinstance(node, ast.List | ast.Tuple):
            return [go(e) for e in node.elts]
        raise ExprError(f"cannot compile {ast.unparse(node)}")

    return go(tree)

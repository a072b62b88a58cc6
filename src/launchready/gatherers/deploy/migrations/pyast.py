"""Literal arguments of calls in a Python syntax tree, for the migrations read statically
(Alembic's `op.*` calls, Django's operations)."""

from __future__ import annotations

import ast


def literal_str(node: ast.AST | None) -> str | None:
    """The value of a string literal; None for anything else."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def kw(call: ast.Call, name: str, position: int | None = None) -> ast.AST | None:
    """The argument given as ``name=``, else the positional one at ``position`` if any."""
    found = next((k.value for k in call.keywords if k.arg == name), None)
    if found is None and position is not None and len(call.args) > position:
        return call.args[position]
    return found

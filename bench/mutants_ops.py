"""Mutation operators over the reference implementations' source: each mutant changes one thing in
one unit (a function, or a class attribute), and says what in one line."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Each operator gives, for one node, the changes it makes: (label, change). A change mutates the
# node (a copy) in place, or returns the node to put in its place.
Change = Callable[[ast.AST], ast.AST | None]
Operator = Callable[[ast.AST, "Context"], Iterator[tuple[str, Change]]]

FLIPPED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
STATUSES = {"S": "F", "F": "U", "U": "S"}
ADDED_FIELD = "extraField"


@dataclass(frozen=True)
class Context:
    """What the operators know of the protocol: the documented result codes, by status."""

    codes: dict[str, str]  # code -> status

    def swaps(self, code: str) -> list[str]:
        """The next documented code of the same status, and the first of another status."""
        ordered = sorted(self.codes)
        same = [c for c in ordered if self.codes[c] == self.codes[code] and c != code]
        other = [c for c in ordered if self.codes[c] != self.codes[code]]
        later = [c for c in same if c > code] or same
        return later[:1] + other[:1]


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the package root, e.g. "reference/pipeline.py"
    unit: str  # qualified name of the function or class attribute changed
    line: int
    point: int  # index of the node in ast.walk order over the unit
    variant: int  # index among the changes the operator offers for that node
    operator: str
    before: str
    after: str
    nth: int = 0  # among the unit's mutants that read the same: 0 for the first

    @property
    def key(self) -> str:
        """Stable while its unit's source stays put (not its line): how a classification names
        it."""
        again = f" (#{self.nth + 1})" if self.nth else ""
        return f"{self.path}:{self.unit}: {self.before} -> {self.after}{again}"

    def describe(self) -> str:
        return f"{self.path}:{self.line} {self.unit}: {self.before} -> {self.after}"


def _compare(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIPPED:
        flipped = FLIPPED[type(node.ops[0])]

        def change(n: ast.AST) -> None:
            assert isinstance(n, ast.Compare)
            n.ops = [flipped()]

        yield "compare", change


def _boolean(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    if isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And

        def swap(n: ast.AST) -> None:
            assert isinstance(n, ast.BoolOp)
            n.op = other()

        yield "boolean", swap
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "boolean", lambda n: n.operand if isinstance(n, ast.UnaryOp) else None


def _constant(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return
    value = node.value
    news: list[str | float] = []
    if isinstance(value, int):
        news = [value + 1, value - 1]
    elif isinstance(value, float):
        news = [value * 2, value / 2]
    elif isinstance(value, str) and value in ctx.codes:
        news = list(ctx.swaps(value))
    elif isinstance(value, str) and value in STATUSES:
        news = [STATUSES[value]]
    for new in news:
        yield "code" if isinstance(value, str) else "constant", _set_constant(new)


def _set_constant(new: str | float) -> Change:
    def change(n: ast.AST) -> None:
        assert isinstance(n, ast.Constant)
        n.value = new

    return change


def _fields(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    if not isinstance(node, ast.Dict):
        return
    named = [i for i, k in enumerate(node.keys) if isinstance(k, ast.Constant)]
    if not named or any(isinstance(k, ast.Constant) and k.value == ADDED_FIELD for k in node.keys):
        return
    for i in named:
        yield "drop-field", _drop(i)

    def add(n: ast.AST) -> None:
        assert isinstance(n, ast.Dict)
        n.keys.append(ast.Constant(ADDED_FIELD))
        n.values.append(ast.Constant("x"))

    yield "add-field", add


def _drop(i: int) -> Change:
    def change(n: ast.AST) -> None:
        assert isinstance(n, ast.Dict)
        del n.keys[i], n.values[i]

    return change


def _length(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    is_len = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    if not (is_len and isinstance(node, ast.Call) and node.func.id == "len"):  # type: ignore[attr-defined]
        return
    if len(node.args) != 1 or node.keywords:
        return
    arg = node.args[0]
    utf8 = ast.Call(ast.Attribute(copy.deepcopy(arg), "encode", ast.Load()), [], [])
    utf16 = ast.Call(
        ast.Attribute(copy.deepcopy(arg), "encode", ast.Load()), [ast.Constant("utf-16-le")], []
    )
    yield "length", lambda n: ast.Call(ast.Name("len", ast.Load()), [utf8], [])
    yield (
        "length",
        lambda n: ast.BinOp(
            ast.Call(ast.Name("len", ast.Load()), [utf16], []), ast.FloorDiv(), ast.Constant(2)
        ),
    )


def _check(node: ast.AST, ctx: Context) -> Iterator[tuple[str, Change]]:
    if isinstance(node, ast.If) and not (
        isinstance(node.test, ast.Constant) and node.test.value is False
    ):

        def remove(n: ast.AST) -> None:
            assert isinstance(n, ast.If)
            n.test = ast.Constant(False)

        yield "remove-check", remove


OPERATORS: tuple[Operator, ...] = (_compare, _boolean, _constant, _fields, _length, _check)


def _skipped(unit: ast.AST) -> set[int]:
    """Nodes no operator touches: docstrings and annotations."""
    skip: set[int] = set()
    for node in ast.walk(unit):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.add(id(first.value))
        for annotation in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if isinstance(annotation, ast.AST):
                skip.update(id(n) for n in ast.walk(annotation))
    return skip


def units(tree: ast.Module) -> Iterator[tuple[str, ast.stmt]]:
    """Functions and methods (nested ones whole, in their function) and class attributes."""

    def walk(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.stmt]]:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                yield prefix + stmt.name, stmt
            elif isinstance(stmt, ast.ClassDef):
                for inner in stmt.body:
                    if isinstance(inner, ast.Assign | ast.AnnAssign) and inner.value is not None:
                        target = inner.targets[0] if isinstance(inner, ast.Assign) else inner.target
                        if isinstance(target, ast.Name):
                            yield f"{prefix}{stmt.name}.{target.id}", inner
                yield from walk(stmt.body, f"{prefix}{stmt.name}.")

    yield from walk(tree.body, "")


def _summary(node: ast.AST) -> str:
    if isinstance(node, ast.If):
        return f"if {ast.unparse(node.test)}:"
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 90 else text[:87] + "..."


def _apply(unit: ast.stmt, point: int, change: Change) -> tuple[ast.stmt, ast.AST, ast.AST]:
    """A copy of the unit with the change made at the node numbered `point`: (unit, old, new)."""
    changed = copy.deepcopy(unit)
    nodes = list(ast.walk(changed))
    target = nodes[point]
    old = copy.deepcopy(target)
    replacement = change(target)
    if replacement is None:
        return changed, old, target
    for parent in nodes:
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, replacement)
            elif isinstance(value, list) and any(v is target for v in value):
                value[next(i for i, v in enumerate(value) if v is target)] = replacement
    return changed, old, replacement


def generate(path: str, source: str, ctx: Context) -> list[Mutant]:
    """Every mutant of one module, in source order."""
    found: list[Mutant] = []
    for name, unit in units(ast.parse(source)):
        skip = _skipped(unit)
        for point, node in enumerate(ast.walk(unit)):
            if id(node) in skip:
                continue
            for variant, (operator, change) in enumerate(
                oc for op in OPERATORS for oc in op(node, ctx)
            ):
                _, old, new = _apply(unit, point, change)
                before, after = _summary(old), _summary(new)
                if before != after:
                    line = getattr(node, "lineno", unit.lineno)
                    nth = sum((m.unit, m.before, m.after) == (name, before, after) for m in found)
                    found.append(
                        Mutant(path, name, line, point, variant, operator, before, after, nth)
                    )
    return found


def mutate(source: str, mutant: Mutant, ctx: Context) -> str:
    """The module's source with the mutant's one change: only its unit's lines are rewritten."""
    tree = ast.parse(source)
    unit = dict(units(tree))[mutant.unit]
    node = list(ast.walk(unit))[mutant.point]
    changes = [oc for op in OPERATORS for oc in op(node, ctx)]
    changed, _, _ = _apply(unit, mutant.point, changes[mutant.variant][1])
    ast.fix_missing_locations(changed)
    lines = source.splitlines(keepends=True)
    decorators = getattr(unit, "decorator_list", [])
    start = min([unit.lineno] + [d.lineno for d in decorators]) - 1
    assert unit.end_lineno is not None
    indent = " " * unit.col_offset
    text = "".join(indent + line + "\n" for line in ast.unparse(changed).splitlines())
    return "".join(lines[:start]) + text + "".join(lines[unit.end_lineno :])

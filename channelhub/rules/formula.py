"""The one sandboxed formula evaluator: rebates, KPIs, custom fields and workflow expressions.

A formula is checked against an allow-list of syntax before it runs, then evaluated by a hardened
simpleeval with money as ``Decimal``, bounded numbers and sizes, and a wall-clock limit. Only the
functions in ``FUNCTIONS`` can be called; attributes are data (``a.b`` reads ``a["b"]``), never
methods. Python's ``eval`` is never used.
"""

import ast
import decimal
import operator
import re
import textwrap
import time
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import ModuleType
from typing import Any

from django.utils import timezone
from simpleeval import (
    DISALLOW_METHODS,
    MAX_COMPREHENSION_LENGTH,
    EvalWithCompoundTypes,
    InvalidExpression,
    IterableTooLong,
)

from channelhub.core.errors import ServiceError

MAX_LENGTH = 2000  # characters in one expression
MAX_SCRIPT_LENGTH = 20_000  # characters in one script
MAX_DEPTH = 50  # levels of the syntax tree
MAX_NODES = 500  # parts of the syntax tree
MAX_LOOPS = 2  # nested `for` clauses in comprehensions
MAX_POWER = 100  # largest exponent
MAX_INT_BITS = 4000  # about 1200 digits
MAX_SIZE = 10_000  # characters of text, items of a built list, steps of a loop
MAX_BUILT = 100 * MAX_SIZE  # characters and items built by one evaluation, all values together
TIME_LIMIT = 0.2  # seconds

_CONTEXT = decimal.Context(
    prec=28, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
)
_FORMAT_SPEC = re.compile(r"(.?[<>=^])?[+\- ]?z?#?0?(\d{1,3})?[,_]?(\.\d{1,2})?[bcdeEfFgGnosxX%]?")
_FORBIDDEN_ATTRIBUTES = {*DISALLOW_METHODS, "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "gi_code"}
_SCALARS = (str, int, Decimal, date, timedelta, type(None))


class FormulaError(ServiceError):
    """A formula that cannot be accepted or could not be evaluated; the message names the problem."""

    status = 422
    code = "invalid_formula"


# Functions and operators --------------------------------------------------------------------


def _number(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def _size(value: Any) -> int:
    """Characters and items in ``value``, nested containers included, counted up to just past MAX_SIZE."""
    total, stack = 0, [value]
    while stack and total <= MAX_SIZE:
        item = stack.pop()
        if isinstance(item, str | range):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            if total <= MAX_SIZE:
                stack.extend([*item.keys(), *item.values()])
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            if total <= MAX_SIZE:
                stack.extend(item)
    return total


def _too_large(value: Any) -> FormulaError:
    if isinstance(value, str):
        return FormulaError(f"text is too long (max {MAX_SIZE} characters)")
    return FormulaError(f"value is too large (max {MAX_SIZE} items)")


def _scalar(value: Any, what: str) -> Any:
    if not isinstance(value, _SCALARS):
        raise FormulaError(f"{what} only converts numbers, text and dates")
    return value


def _mul(a: Any, b: Any) -> Any:
    for sequence, times in ((a, b), (b, a)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int) and _size(sequence) * times > MAX_SIZE:
            raise _too_large(sequence)
    return a * b


def _divisor(b: Any) -> Any:
    if isinstance(b, int | Decimal) and b == 0:
        raise FormulaError("division by zero")
    return b


def _div(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(_divisor(b), int):
        return Decimal(a) / Decimal(b)  # 7 / 2 is Decimal("3.5"), never a float
    return a / b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):  # "%*d" % (10**9, 1) would build a huge string
        raise FormulaError("the % operator only works on numbers")
    return a % _divisor(b)


def _pow(a: Any, b: Any) -> Any:
    if abs(b) > MAX_POWER:
        raise FormulaError("power too large")
    if isinstance(a, int) and isinstance(b, int):
        if b < 0:
            return Decimal(a) ** b
        if a.bit_length() * b > MAX_INT_BITS:
            raise FormulaError("power too large")
    return a**b


def _round(value: Any, ndigits: int | None = None) -> Any:
    """Round half up, as money is rounded: round(2.5) == 3, round(x, 2) is a Decimal with 2 places."""
    if not isinstance(value, int | Decimal):
        raise FormulaError("round() only rounds numbers")
    if ndigits is None:
        return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not isinstance(ndigits, int) or abs(ndigits) > 28:
        raise FormulaError("round() digits must be a whole number between -28 and 28")
    return Decimal(value).quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)


def _int(value: Any) -> int:
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > 100:
        raise FormulaError("number too large")
    return int(value)


def _decimal(value: Any = 0) -> Decimal:
    try:
        return Decimal(value)
    except decimal.InvalidOperation:
        raise FormulaError(f"not a number: {value!r}") from None


def _sum(values: Iterable[Any], start: Any = 0) -> Any:
    total = start
    for value in values:
        if not isinstance(value, int | float | Decimal | timedelta):
            raise FormulaError("sum() only adds numbers and durations")
        total += _number(value)
    return total


def _range(*args: int) -> range:
    steps = range(*args)
    if (steps.stop - steps.start) // steps.step > MAX_SIZE:
        raise FormulaError(f"range is too large (max {MAX_SIZE} items)")
    return steps


def _timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0) -> timedelta:
    parts = (days, seconds, microseconds, milliseconds, minutes, hours, weeks)
    return timedelta(*(float(part) if isinstance(part, Decimal) else part for part in parts))


def _datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware datetime in the current time zone (Asia/Shanghai by default)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.get_current_timezone())


FUNCTIONS = {
    "abs": abs,
    "all": all,
    "any": any,
    "date": date,
    "datetime": _datetime,
    "days": lambda n: _timedelta(days=n),
    "Decimal": _decimal,
    "hours": lambda n: _timedelta(hours=n),
    "int": _int,
    "len": len,
    "max": max,
    "min": min,
    "range": _range,
    "round": _round,
    "str": lambda value="": str(_scalar(value, "str()")),
    "sum": _sum,
    "timedelta": _timedelta,
}

OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: _div,
    ast.FloorDiv: lambda a, b: a // _divisor(b),
    ast.Mod: _mod,
    ast.Pow: _pow,
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


# Static check -------------------------------------------------------------------------------

_COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.DictComp)
_ALLOWED = {
    *(ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call),
    *(ast.keyword, ast.Constant, ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Subscript, ast.Slice),
    *(ast.List, ast.Tuple, ast.Set, ast.Dict, ast.comprehension, ast.JoinedStr, ast.FormattedValue),
    *_COMPREHENSIONS,
    *OPERATORS,
}
_SYMBOLS = {ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~", ast.LShift: "<<", ast.RShift: ">>"}
_LABELS = {
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Starred: "star unpacking (*)",
    ast.SetComp: "set comprehension",
    **{node: f"operator '{symbol}'" for node, symbol in _SYMBOLS.items()},
}


class _Checker:
    """Walks a syntax tree and refuses anything outside the formula language, naming it."""

    def __init__(self, source: str):
        self.source = source
        self.count = 0

    def visit(self, node: ast.AST, names: frozenset[str] | None, depth: int = 1, loops: int = 0) -> None:
        """Children first, so the innermost offence is the one named; ``names`` None means any name."""
        self.count += 1
        if depth > MAX_DEPTH:
            raise FormulaError(f"expression is nested too deeply (max {MAX_DEPTH} levels)")
        if self.count > MAX_NODES:
            raise FormulaError(f"expression is too complex (max {MAX_NODES} parts)")
        if type(node) not in _ALLOWED:
            raise FormulaError(f"{_LABELS.get(type(node), type(node).__name__)} is not allowed")
        if isinstance(node, _COMPREHENSIONS):
            loops += len(node.generators)
            if loops > MAX_LOOPS:
                raise FormulaError(f"loops are nested too deeply (max {MAX_LOOPS})")
            if names is not None:  # loop variables are known inside their comprehension only
                names |= {name.id for loop in node.generators for name in ast.walk(loop.target) if hasattr(name, "id")}
        for child in ast.iter_child_nodes(node):
            if not (isinstance(node, ast.Call) and child is node.func and isinstance(child, ast.Name)):
                self.visit(child, names, depth + 1, loops)
        self.check(node, names)

    def check(self, node: ast.AST, names: frozenset[str] | None) -> None:
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise FormulaError(f"name '{node.id}' is not allowed")
            if isinstance(node.ctx, ast.Load) and names is not None and node.id not in names:
                raise FormulaError(f"name '{node.id}' is not defined")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRIBUTES:
                raise FormulaError(f"attribute access is not allowed: {node.attr}")
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                raise FormulaError(f"method calls are not allowed: {node.func.attr}")
            if not isinstance(node.func, ast.Name):
                raise FormulaError("only formula functions can be called")
            if node.func.id not in FUNCTIONS:
                raise FormulaError(f"function '{node.func.id}' is not allowed")
        elif isinstance(node, ast.keyword) and node.arg is None:
            raise FormulaError("keyword unpacking (**) is not allowed")
        elif isinstance(node, ast.Dict) and None in node.keys:
            raise FormulaError("dictionary unpacking (**) is not allowed")
        elif isinstance(node, ast.comprehension):
            target = node.target
            if node.is_async:
                raise FormulaError("async is not allowed")
            if not isinstance(target, ast.Name | ast.Tuple) or not all(isinstance(n, ast.Name) for n in _elts(target)):
                raise FormulaError("loop variables must be plain names")
        elif isinstance(node, ast.FormattedValue):
            self.check_format(node)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, float):  # money is Decimal: read the literal as written
                node.value = Decimal(ast.get_source_segment(self.source, node))
            elif not isinstance(node.value, str | int | type(None)):
                raise FormulaError(f"{type(node.value).__name__} literals are not allowed")

    @staticmethod
    def check_format(node: ast.FormattedValue) -> None:
        if node.conversion != -1:
            raise FormulaError("f-string conversions (!r, !s, !a) are not allowed")
        if node.format_spec is None:
            return
        parts = node.format_spec.values
        if not all(isinstance(part, ast.Constant) for part in parts):
            raise FormulaError("f-string format specs must be plain, like :,.2f")
        spec = "".join(part.value for part in parts)
        if not _FORMAT_SPEC.fullmatch(spec):
            raise FormulaError(f"f-string format spec is not allowed: {spec}")


def _elts(target: ast.AST) -> list[ast.AST]:
    return target.elts if isinstance(target, ast.Tuple) else [target]


def _parse(source: str, mode: str) -> tuple[ast.AST, str]:
    what, limit = ("expression", MAX_LENGTH) if mode == "eval" else ("script", MAX_SCRIPT_LENGTH)
    if not isinstance(source, str):
        raise FormulaError(f"{what} must be text")
    if len(source) > limit:
        raise FormulaError(f"{what} is too long (max {limit} characters)")
    source = source.strip() if mode == "eval" else textwrap.dedent(source)  # BPMN XML indents scripts
    if not source and mode == "eval":
        raise FormulaError("expression is empty")
    try:
        return ast.parse(source, mode=mode), source
    except SyntaxError as exc:
        raise FormulaError(f"syntax error: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError(f"syntax error: the {what} cannot be read") from None


def _compile(expression: str, names: Iterable[str] | None) -> tuple[ast.AST, str]:
    tree, source = _parse(expression, "eval")
    _Checker(source).visit(tree.body, None if names is None else frozenset(names))
    return tree.body, source


def _compile_script(script: str, names: Iterable[str] | None) -> tuple[list[tuple[int, str, ast.AST]], str]:
    """Each statement as (line, target, expression); ``x += 1`` becomes ``x = x + 1``."""
    tree, source = _parse(script, "exec")
    known = None if names is None else frozenset(names)
    steps = []
    for statement in tree.body:
        try:
            target, value = _assignment(statement)
            _Checker(source).visit(value, known)
        except FormulaError as exc:
            raise FormulaError(f"line {statement.lineno}: {exc.message}") from None
        if known is not None:
            known |= {target}
        steps.append((statement.lineno, target, value))
    return steps, source


def _assignment(statement: ast.stmt) -> tuple[str, ast.expr]:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AugAssign):
        target, value = statement.target, statement.value
    else:
        target = value = None
    if not isinstance(target, ast.Name):
        raise FormulaError("only 'name = expression' statements are allowed")
    if target.id.startswith("_"):
        raise FormulaError(f"name '{target.id}' is not allowed")
    if isinstance(statement, ast.AugAssign):
        value = ast.BinOp(left=ast.Name(id=target.id, ctx=ast.Load()), op=statement.op, right=value)
    return target.id, value


# Evaluation ---------------------------------------------------------------------------------

_BUILT = (ast.BinOp, ast.JoinedStr, ast.List, ast.Tuple, ast.Set, ast.Dict, *_COMPREHENSIONS)
_MISSING = object()


class _Evaluator(EvalWithCompoundTypes):
    """simpleeval with run-time limits; variables come only from ``names``, calls only from FUNCTIONS."""

    def __init__(self, names: Mapping[str, Any]):
        super().__init__(operators=OPERATORS, functions=FUNCTIONS, names=names)
        self.functions = FUNCTIONS  # the parent adds list, tuple, dict and set
        self.deadline = time.monotonic() + TIME_LIMIT
        self.built = 0

    def _eval(self, node: ast.AST) -> Any:
        if time.monotonic() > self.deadline:
            raise FormulaError(f"formula took longer than {TIME_LIMIT} s")
        value = _number(self.nodes[type(node)](node))
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise FormulaError("number too large")
        if callable(value) or isinstance(value, ModuleType):
            raise FormulaError("functions and modules cannot be used as values")
        if isinstance(node, _BUILT):
            size = _size(value)
            if size > MAX_SIZE:
                raise _too_large(value)
            self.built += size
            if self.built > MAX_BUILT:  # bounds memory: each loop step may build up to MAX_SIZE
                raise FormulaError(f"formula builds too much data (max {MAX_BUILT} items)")
        return value

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise FormulaError(f"name '{node.id}' is not defined") from None

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        owner = self._eval(node.value)
        if isinstance(owner, Mapping):
            return owner[node.attr]
        if callable(owner) or isinstance(owner, ModuleType):
            raise FormulaError(f"attribute access is not allowed: {node.attr}")
        value = getattr(owner, node.attr, _MISSING)
        if value is _MISSING:
            raise FormulaError(f"attribute not found: {node.attr}")
        if callable(value):
            raise FormulaError(f"attribute access is not allowed: {node.attr}")
        return value

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        return "".join(self._eval(part) for part in node.values)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = _scalar(self._eval(node.value), "an f-string")
        spec = "".join(part.value for part in node.format_spec.values) if node.format_spec else ""
        return format(value, spec)


def _run(evaluator: _Evaluator, source: str, node: ast.AST) -> Any:
    try:
        with decimal.localcontext(_CONTEXT):
            return evaluator.eval(source, previously_parsed=node)
    except FormulaError:
        raise
    except IterableTooLong:
        raise FormulaError(f"loops run too many times (max {MAX_COMPREHENSION_LENGTH} steps)") from None
    except ZeroDivisionError:
        raise FormulaError("division by zero") from None
    except decimal.Overflow:
        raise FormulaError("number too large") from None
    except decimal.InvalidOperation:
        raise FormulaError("invalid number operation") from None
    except KeyError as exc:
        raise FormulaError(f"key not found: {exc.args[0]!r}") from None
    except IndexError:
        raise FormulaError("index out of range") from None
    except (InvalidExpression, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise FormulaError(str(exc)) from None


# Public API ---------------------------------------------------------------------------------


def check(expression: str, *, names: Iterable[str] | None = None) -> None:
    """Refuse ``expression`` unless it is a formula we can run safely; with ``names``, also unknown names."""
    _compile(expression, names)


def check_script(script: str, *, names: Iterable[str] | None = None) -> None:
    """Refuse ``script`` unless every statement is ``name = expression`` (or ``name += expression``)."""
    _compile_script(script, names)


def evaluate(expression: str, names: Mapping[str, Any] | None = None) -> Any:
    """The value of ``expression`` with ``names`` as its variables; floats read as Decimal."""
    names = {} if names is None else names
    node, source = _compile(expression, names)
    return _run(_Evaluator(names), source, node)


def execute(script: str, names: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Run a script task's assignments in order and store the results in ``names``, all or nothing."""
    steps, source = _compile_script(script, names)
    scope = dict(names)
    evaluator = _Evaluator(scope)
    for line, target, value in steps:
        try:
            scope[target] = _run(evaluator, source, value)
        except FormulaError as exc:
            raise FormulaError(f"line {line}: {exc.message}") from None
    names.update({target: scope[target] for _, target, _ in steps})
    return names

"""The formula compiler: a user's f(x, y) in maths notation -> a JAX function.

Pipeline: limits on the raw text -> a hand-written tokenizer -> a
recursive-descent parser into the small node types below -> three walks over
that tree (canonical text, LaTeX, a JAX closure). User text is never turned
into Python code: names are looked up in explicit whitelists, and every other
character is rejected with a one-line `FormulaError` that says what is not
allowed and at which (1-based) column.

Grammar (lowest to highest precedence)::

    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/') unary)*
    unary   := ('+' | '-') unary | power
    power   := atom (('**' | '^') unary)?        # right-associative
    atom    := number | name | function '(' sum (',' sum)* ')' | '(' sum ')'

so `-x^2` is -(x^2), `2^3^2` is 2^9 and `2^-1` is allowed, as in Python.

Every input is bounded before and while it is parsed: its length (checked
first), its characters, the nesting depth (parentheses, unary signs and
exponents each count one level, counted as the parser descends, so no input
recurses deeply), the number of nodes, the size of number literals, the value
of constant exponents, the height of power towers, and the formula's compile
cost (below). Nothing is evaluated while parsing except constant exponents,
in float64 numpy with overflow turned into inf; so every rejection is fast.

Compile cost. What XLA compiles for a formula is its value, gradient and
Hessian (the minima estimate and Newton's method take second derivatives),
and XLA's compile time is about linear in the number of operations of that
program: ~1.4 ms an operation on a 2-core machine, 2.2 s for the 1436 of
`tan(x^70*y) + ... + tan(x^97*y)`, whatever the operations are. Each node
adds a fixed number of them (`COST`, measured once per kind with
`jax.make_jaxpr` of `jacfwd(grad(f))`; tests/test_formula_cost.py checks the
sum against the real count), so the parser adds them up as it builds the
tree and stops at MAX_COST, before anything is traced or compiled.
"""

from __future__ import annotations

import functools
import keyword
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from visualizer.core.surfaces.errors import FormulaError

MAX_LENGTH = 500  # characters
MAX_DEPTH = 30  # nested parentheses / unary signs / exponents
MAX_NODES = 200  # numbers, names, operators and calls in the tree
MAX_NUMBER_CHARS = 24  # characters of one number literal
MAX_CONSTANT = 1e6  # largest number literal
MAX_EXPONENT = 100.0  # largest |p| of a constant exponent
MAX_POWER_TOWER = 2  # stacked powers: a^b^c (two) is fine, a^b^c^d is not
# Compile cost, in operations of the formula's Hessian program (see the
# module's docstring). The costliest formulas under 450 compile in 1.2-1.6 s
# for the page (its minima estimate and three optimizers) on a 2-core
# machine; every surface of the catalog written as a formula costs less
# than 320 (Goldstein-Price 307, Ackley 182, Rosenbrock 105).
MAX_COST = 450
CACHE_SIZE = 256  # compiled formulas kept
_ECHO = 20  # characters of an offending token quoted in a message


# --------------------------------------------------------------------------
# The tree. Frozen dataclasses (not NamedTuples) so that nodes of different
# kinds never compare equal just because their fields do.


@dataclass(frozen=True)
class Num:
    value: float  # finite, 0 <= value <= MAX_CONSTANT; signs are Neg nodes


@dataclass(frozen=True)
class Name:
    name: str  # "x", "y", "pi" or "e"


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str  # "+", "-", "*", "/" or "^"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    func: str  # a key of FUNCTIONS (aliases resolved)
    args: tuple[Node, ...]


Node = Num | Name | Neg | BinOp | Call


# --------------------------------------------------------------------------
# The whitelists: the only names a formula can mention.


@jax.custom_jvp
def _sqrt(v):
    return jnp.sqrt(v)


@_sqrt.defjvp
def _sqrt_jvp(primals, tangents):
    # The slope at 0 is taken as 0 instead of inf, so that a cone such as
    # sqrt(x^2 + y^2) (Ackley typed as a formula) has a finite gradient at
    # its minimum, as every surface must have. Negative v stays nan.
    (v,), (dv,) = primals, tangents
    positive = v > 0
    slope = 0.5 / jnp.sqrt(jnp.where(positive, v, 1.0))  # where-trick: no nan in grad
    slope = jnp.where(positive, slope, jnp.where(v == 0, 0.0, jnp.nan))
    return _sqrt(v), slope * dv


def _np_sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


class Function(NamedTuple):
    arity: int  # exact number of arguments, or the minimum if variadic
    variadic: bool
    jax: Callable  # on jnp arrays / Python floats
    numpy: Callable  # the same on float64, for folding constant exponents
    latex: str  # str.format template; {0} is the (comma-joined) arguments


def _op(name: str) -> str:
    return "\\" + name + r"\left({0}\right)"


def _reduce(op: Callable) -> Callable:
    return lambda *args: functools.reduce(op, args)


# fmt: off
FUNCTIONS: dict[str, Function] = {
    "sin": Function(1, False, jnp.sin, np.sin, _op("sin")),
    "cos": Function(1, False, jnp.cos, np.cos, _op("cos")),
    "tan": Function(1, False, jnp.tan, np.tan, _op("tan")),
    "exp": Function(1, False, jnp.exp, np.exp, _op("exp")),
    "log": Function(1, False, jnp.log, np.log, _op("log")),
    "log2": Function(1, False, jnp.log2, np.log2, r"\log_{{2}}\left({0}\right)"),
    "log10": Function(1, False, jnp.log10, np.log10, r"\log_{{10}}\left({0}\right)"),
    "sqrt": Function(1, False, _sqrt, np.sqrt, r"\sqrt{{{0}}}"),
    "abs": Function(1, False, jnp.abs, np.abs, r"\left|{0}\right|"),
    "sign": Function(1, False, jnp.sign, np.sign, r"\operatorname{{sign}}\left({0}\right)"),
    "tanh": Function(1, False, jnp.tanh, np.tanh, _op("tanh")),
    "sinh": Function(1, False, jnp.sinh, np.sinh, _op("sinh")),
    "cosh": Function(1, False, jnp.cosh, np.cosh, _op("cosh")),
    "arcsin": Function(1, False, jnp.arcsin, np.arcsin, _op("arcsin")),
    "arccos": Function(1, False, jnp.arccos, np.arccos, _op("arccos")),
    "arctan": Function(1, False, jnp.arctan, np.arctan, _op("arctan")),
    "sigmoid": Function(1, False, jax.nn.sigmoid, _np_sigmoid, r"\sigma\left({0}\right)"),
    "min": Function(2, True, _reduce(jnp.minimum), _reduce(np.minimum), _op("min")),
    "max": Function(2, True, _reduce(jnp.maximum), _reduce(np.maximum), _op("max")),
}
# fmt: on
ALIASES = {"ln": "log", "atan": "arctan", "asin": "arcsin", "acos": "arccos"}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
_NAME_LATEX = {"x": "x", "y": "y", "pi": r"\pi", "e": "e"}
_ALLOWED = ", ".join([*VARIABLES, *CONSTANTS, *FUNCTIONS])
OPERATORS = ("+", "-", "*", "/", "^", "**", "(", ")")


def vocabulary() -> dict[str, list[str]]:
    """Everything a formula may use, for help texts and listings."""
    return {"variables": list(VARIABLES), "constants": list(CONSTANTS), "operators": list(OPERATORS),
            "functions": [*FUNCTIONS, *ALIASES]}


def help_text() -> str:
    """One sentence naming everything a formula may use."""
    words = vocabulary()
    return (f"Numbers, {', '.join(words['variables'] + words['constants'])}, {' '.join(OPERATORS[:-2])}, "
            f"parentheses and the functions {', '.join(words['functions'])}.")


# --------------------------------------------------------------------------
# Tokenizer.


class Token(NamedTuple):
    kind: str  # "num", "name", "+", "-", "*", "/", "^", "(", ")", ",", "end"
    text: str  # as written (so messages quote the user)
    col: int  # 1-based column of the first character
    value: float = 0.0  # for "num"


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LOOSE_NUMBER = re.compile(r"[0-9.]*(?:[eE][+-]?[0-9.]*)?")  # only to quote a bad one
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SINGLE = frozenset("+-*/^(),")  # one-character tokens; the kind is the character
_TWO_CHAR = {"//", "<<", ">>", "==", "!=", "<=", ">=", ":=", "->", "&&", "||"}
_CHAR_HINTS = {
    "'": "strings are not allowed (quote at column {col})",
    '"': "strings are not allowed (quote at column {col})",
    ".": "'.' attribute access is not allowed at column {col}",
    "[": "'[' is not allowed at column {col}: no lists or subscripts",
    "]": "']' is not allowed at column {col}: no lists or subscripts",
    "\\": "backslashes are not allowed (column {col})",
    "#": "'#' comments are not allowed (column {col})",
    ";": "';' is not allowed at column {col}: write one expression",
    "=": "'=' is not allowed at column {col}: write an expression, not an equation",
}


def _echo(text: str) -> str:
    """Quote a piece of user text for a message: repr (so control characters
    stay escaped and the message stays one line), cut to a few characters."""
    if len(text) > _ECHO:
        text = text[:_ECHO] + "..."
    return repr(text)


def _tokenize(text: str) -> Iterator[Token]:
    """Yield tokens lazily, so the parser reports the leftmost problem first.
    Assumes the characters were already checked to be printable ASCII or tab."""
    i, n = 0, len(text)
    while i < n:
        ch, col = text[i], i + 1
        if ch in " \t":
            i += 1
        elif ch.isdigit() or (ch == "." and text[i + 1 : i + 2].isdigit()):
            token = _number(text, i)
            yield token
            i += len(token.text)
        elif ch.isalpha() or ch == "_":
            word = _NAME.match(text, i).group()
            nxt = text[i + len(word) : i + len(word) + 1]
            if nxt in ("'", '"'):  # f"...", b'...', r'...'
                raise FormulaError(f"strings are not allowed (string prefix {_echo(word)} at column {col})")
            _check_name(word, col)
            yield Token("name", word, col)
            i += len(word)
        elif text.startswith("**", i):
            yield Token("^", "**", col)
            i += 2
        elif text[i : i + 2] in _TWO_CHAR:
            raise FormulaError(
                f"'{text[i : i + 2]}' is not allowed at column {col}" + ("; use '/'" if text[i : i + 2] == "//" else "")
            )
        elif ch in _SINGLE:
            yield Token(ch, ch, col)
            i += 1
        elif ch in _CHAR_HINTS:
            raise FormulaError(_CHAR_HINTS[ch].format(col=col))
        else:
            raise FormulaError(f"'{ch}' is not allowed at column {col}")
    yield Token("end", "", n + 1)


def _number(text: str, i: int) -> Token:
    col = i + 1
    literal = _NUMBER.match(text, i).group()
    end = i + len(literal)
    nxt, after = text[end : end + 1], text[end + 1 : end + 2]
    # "1..2", "1.2.3", "1e", "1e+": quote the whole malformed run.
    if nxt == "." or (nxt in ("e", "E") and not (after.isalpha() or after == "_")):
        bad = _LOOSE_NUMBER.match(text, i).group() or literal
        raise FormulaError(f"malformed number {_echo(bad)} at column {col}")
    if len(literal) > MAX_NUMBER_CHARS:
        raise FormulaError(
            f"number {_echo(literal)} at column {col} is too long; the limit is {MAX_NUMBER_CHARS} characters"
        )
    value = float(literal)  # the regex admits only valid float syntax
    if not value <= MAX_CONSTANT:  # also catches inf ("1e309")
        raise FormulaError(f"number {_echo(literal)} at column {col} is too large; the limit is {MAX_CONSTANT:.0f}")
    return Token("num", literal, col, value)


def _check_name(word: str, col: int) -> None:
    if "_" in word:
        raise FormulaError(f"{_echo(word)} is not allowed at column {col}: names have no underscores")
    if keyword.iskeyword(word) or keyword.issoftkeyword(word):
        raise FormulaError(f"{_echo(word)} is not allowed at column {col}: formulas are not Python code")
    if word not in VARIABLES and word not in CONSTANTS and word not in FUNCTIONS and word not in ALIASES:
        raise FormulaError(f"unknown name {_echo(word)} at column {col}; allowed: {_ALLOWED}")


def _check_characters(text: str) -> None:
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch == "\t"):
            raise FormulaError(
                f"character {ch!r} (U+{ord(ch):04X}) at column {i + 1} is not allowed; formulas are plain ASCII"
            )


# --------------------------------------------------------------------------
# Parser.


class _Parser:
    """Recursive descent with explicit depth and node budgets."""

    def __init__(self, text: str):
        self._tokens = _tokenize(text)
        self.prev = Token("start", "", 0)
        self.tok = next(self._tokens)
        self.depth = 0
        self.nodes = 0
        self.cost = COST_BASE

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise FormulaError("empty formula")
        node = self.sum()
        if self.tok.kind != "end":
            self.not_an_operator()
        if self.cost > MAX_COST:  # checked last, so a malformed formula hears what is wrong with it
            raise FormulaError(
                f"formula is too costly to compile: about {self.cost} operations with its derivatives, "
                f"the limit is {MAX_COST}; use fewer terms, functions or variable exponents"
            )
        return node

    # -- helpers

    def advance(self) -> Token:
        self.prev, self.tok = self.tok, next(self._tokens)
        return self.prev

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"nesting deeper than {MAX_DEPTH} at column {tok.col}")

    def make(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(f"formula has more than {MAX_NODES} parts (at column {self.prev.col}); simplify it")
        self.cost += _node_cost(node)
        return node

    def not_an_operator(self) -> None:
        """Raise for the current token, found where an operator (or the end)
        should follow a complete operand."""
        tok = self.tok
        if tok.kind in ("num", "name", "("):
            raise FormulaError(
                f"missing operator between {_echo(self.prev.text)} and {_echo(tok.text)} at column {tok.col}"
            )
        if tok.kind == ")":
            raise FormulaError(f"unbalanced ')' at column {tok.col}")
        if tok.kind == ",":
            raise FormulaError(f"',' at column {tok.col} is only allowed between function arguments")
        raise FormulaError(f"unexpected {_echo(tok.text)} at column {tok.col}")  # pragma: no cover

    # -- grammar

    def sum(self) -> Node:
        node = self.product()
        while self.tok.kind in ("+", "-"):
            op = self.advance().kind
            node = self.make(BinOp(op, node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind in ("*", "/"):
            op = self.advance().kind
            node = self.make(BinOp(op, node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.tok.kind not in ("+", "-"):
            return self.power()
        sign = self.advance()
        self.enter(sign)  # so "-" * 400 + "1" stops at depth, not at the stack
        operand = self.unary()
        self.depth -= 1
        return operand if sign.kind == "+" else self.make(Neg(operand))

    def power(self) -> Node:
        base = self.atom()
        if self.tok.kind != "^":
            return base
        op = self.advance()
        self.enter(op)
        exponent = self.unary()
        self.depth -= 1
        _check_exponent(exponent, op.col)
        return self.make(BinOp("^", base, exponent))

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return self.make(Num(tok.value))
        if tok.kind == "name":
            self.advance()
            func = ALIASES.get(tok.text, tok.text)
            if func in FUNCTIONS:
                if self.tok.kind != "(":
                    raise FormulaError(f"function '{tok.text}' at column {tok.col} needs parentheses: {tok.text}(...)")
                return self.call(tok, func)
            if self.tok.kind == "(":
                raise FormulaError(f"'{tok.text}' at column {tok.col} is not a function; write {tok.text}*(...)")
            return self.make(Name(tok.text))
        if tok.kind == "(":
            self.advance()
            self.enter(tok)
            node = self.sum()
            self.close(tok)
            return node
        # Nothing that can start an operand:
        if tok.kind == "end":
            if self.prev.kind == "(":
                raise FormulaError(f"unbalanced '(' at column {self.prev.col}")
            raise FormulaError(
                f"formula ends after {_echo(self.prev.text)} at column {self.prev.col}; "
                "expected a number, a name or '('"
            )
        if tok.kind == ")":
            if self.prev.kind == "(":
                raise FormulaError(f"empty parentheses '()' at column {self.prev.col}")
            if self.prev.kind == ",":
                raise FormulaError(f"missing argument after ',' at column {self.prev.col}")
            raise FormulaError(f"unbalanced ')' at column {tok.col}")
        if tok.kind == ",":
            raise FormulaError(f"missing argument before ',' at column {tok.col}")
        raise FormulaError(f"{_echo(tok.text)} at column {tok.col} has nothing before it to apply to")

    def close(self, opening: Token) -> None:
        if self.tok.kind == "end":
            raise FormulaError(f"unbalanced '(' at column {opening.col}")
        if self.tok.kind != ")":
            self.not_an_operator()
        self.advance()
        self.depth -= 1

    def call(self, name: Token, func: str) -> Node:
        opening = self.advance()
        self.enter(opening)
        args: list[Node] = []
        if self.tok.kind != ")":
            args.append(self.sum())
            while self.tok.kind == ",":
                self.advance()
                args.append(self.sum())
        self.close(opening)
        spec = FUNCTIONS[func]
        if len(args) < spec.arity or (len(args) > spec.arity and not spec.variadic):
            wanted = f"at least {spec.arity}" if spec.variadic else f"{spec.arity}"
            plural = "" if wanted == "1" else "s"
            raise FormulaError(f"'{name.text}' at column {name.col} takes {wanted} argument{plural}, got {len(args)}")
        return self.make(Call(func, tuple(args)))


def _check_exponent(exponent: Node, col: int) -> None:
    """Bound power towers: a constant exponent is at most MAX_EXPONENT in size,
    and at most MAX_POWER_TOWER powers are stacked (so 9^9^9^9 never reaches
    the evaluator, which would only make inf anyway)."""
    value = _fold(exponent)
    if value is not None and not abs(value) <= MAX_EXPONENT:
        shown = f"{value:.6g}" if math.isfinite(value) else "not a finite number"
        raise FormulaError(f"exponent at column {col} is {shown}; the limit is {MAX_EXPONENT:g}")
    if 1 + _tower(exponent) > MAX_POWER_TOWER:
        raise FormulaError(f"power tower at column {col}: at most {MAX_POWER_TOWER} powers may be stacked, as in a^b^c")


def _tower(node: Node) -> int:
    """How many powers are stacked in exponent position within node."""
    if isinstance(node, BinOp) and node.op == "^":
        return max(_tower(node.left), 1 + _tower(node.right))
    return max((_tower(child) for child in _children(node)), default=0)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


# What each node adds to the Hessian program (operations of jacfwd(grad(f)),
# jax 0.10; an operand that is x, y or a number adds nothing of its own).
COST_BASE = 40  # the program around any formula
COST = {
    "+": 5, "-": 6, "*": 14, "/": 30, "neg": 3,
    "c+": 2, "c-": 3, "c*": 3, "c/": 19,  # one operand constant ("c/" when it is the numerator)
    "^int": 16,  # a constant integer exponent: lax.integer_pow
    "^const": 19,  # another constant exponent
    "^var": 51,  # an exponent that depends on x or y: exp(b log a) and its derivatives
    "sin": 13, "cos": 14, "tan": 14, "exp": 8, "log": 11, "log2": 15, "log10": 14, "sqrt": 28,
    "abs": 9, "sign": 2, "tanh": 19, "sinh": 12, "cosh": 12, "arcsin": 20, "arccos": 23,
    "arctan": 17, "sigmoid": 16,
    "min": 38, "max": 38,  # per argument after the first
}


def _node_cost(node: Node) -> int:
    """What `node` itself adds to the compiled program (its children count
    for themselves)."""
    if isinstance(node, (Num, Name)) or _fold(node) is not None:
        return 0  # x, y, or a constant (folded before XLA sees it)
    if isinstance(node, Neg):
        return COST["neg"]
    if isinstance(node, BinOp):
        if node.op != "^":
            left, right = _fold(node.left) is not None, _fold(node.right) is not None
            if node.op == "/" and left:
                return COST["c/"]
            if left or right:  # by a constant: no product rule, no quotient rule
                return COST["c" + node.op]
            return COST[node.op]
        exponent = _fold(node.right)
        if exponent is None:
            return COST["^var"]
        return COST["^int"] if float(exponent).is_integer() else COST["^const"]
    if isinstance(node, Call):
        return COST[node.func] * max(1, len(node.args) - 1)
    return 0


def formula_cost(node: Node) -> int:
    """The compile cost of a tree (see the module's docstring)."""
    return COST_BASE + sum(_node_cost(n) for n in _walk(node))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(_children(n))


_NP_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}


def _fold(node: Node) -> float | None:
    """The value of a subtree without x or y, in float64 (overflow gives inf,
    domain errors nan, never an exception); None if it depends on x or y."""
    with np.errstate(all="ignore"):
        return _fold_inner(node)


def _fold_inner(node: Node) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        return CONSTANTS.get(node.name)
    parts = [_fold_inner(child) for child in _children(node)]
    if any(part is None for part in parts):
        return None
    values = [np.float64(part) for part in parts]
    if isinstance(node, Neg):
        return float(-values[0])
    if isinstance(node, BinOp):
        return float(_NP_BINARY[node.op](*values))
    return float(FUNCTIONS[node.func].numpy(*values))


# --------------------------------------------------------------------------
# Canonical text: minimal parentheses that still re-parse to the same tree.

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_NEG_PREC, _ATOM_PREC = 3, 5


def _prec(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PREC[node.op]
    return _NEG_PREC if isinstance(node, Neg) else _ATOM_PREC


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def to_text(node: Node) -> str:
    """Canonical text: `**` for powers, spaces around + and -, parentheses only
    where the grammar needs them to give back this exact tree."""

    def wrap(child: Node, needed: bool) -> str:
        return f"({to_text(child)})" if needed else to_text(child)

    if isinstance(node, Num):
        return _number_text(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Neg):
        return "-" + wrap(node.operand, _prec(node.operand) < _NEG_PREC)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_text(arg) for arg in node.args)})"
    prec = _PREC[node.op]
    if node.op == "^":  # base is an atom; exponent is a unary
        return f"{wrap(node.left, _prec(node.left) < _ATOM_PREC)}**{wrap(node.right, _prec(node.right) < _NEG_PREC)}"
    left = wrap(node.left, _prec(node.left) < prec)
    right = wrap(node.right, _prec(node.right) <= prec)  # left-associative
    return f"{left} {node.op} {right}" if prec == 1 else f"{left}{node.op}{right}"


# --------------------------------------------------------------------------
# LaTeX, from the tree only: every piece is either a whitelisted template or
# a number/name we generated, so no user text can reach the output.


def _latex_prec(node: Node) -> float:
    if isinstance(node, BinOp) and node.op == "/":
        return 4.5  # \frac{}{} is visually atomic, except as a power's base
    if isinstance(node, Num) and "e" in _number_text(node.value):
        return 2  # rendered as a product: 1 \cdot 10^{-5}
    return _prec(node)


def _paren(tex: str) -> str:
    return r"\left(" + tex + r"\right)"


def to_latex(node: Node) -> str:
    """LaTeX for a tree: \\frac, ^{...}, \\sqrt{...}, \\left|...\\right|, \\pi."""
    if isinstance(node, Num):
        text = _number_text(node.value)
        if "e" in text:
            mantissa, exp = text.split("e")
            return rf"{mantissa} \cdot 10^{{{int(exp)}}}"
        return text
    if isinstance(node, Name):
        return _NAME_LATEX[node.name]
    if isinstance(node, Call):
        return FUNCTIONS[node.func].latex.format(", ".join(to_latex(arg) for arg in node.args))
    if isinstance(node, Neg):
        inner = to_latex(node.operand)
        return "-" + (_paren(inner) if _latex_prec(node.operand) <= 1 or inner.startswith("-") else inner)
    left, right = to_latex(node.left), to_latex(node.right)
    if node.op == "/":
        return rf"\frac{{{left}}}{{{right}}}"
    if node.op == "^":
        plain_base = isinstance(node.left, (Name, Call)) or _latex_prec(node.left) == _ATOM_PREC
        return f"{left if plain_base else _paren(left)}^{{{right}}}"
    prec = _PREC[node.op]
    if _latex_prec(node.left) < prec:
        left = _paren(left)
    if _latex_prec(node.right) <= 1 or right.startswith("-"):
        right = _paren(right)
    if node.op == "*":
        # Juxtapose (2 x, x \sin(y)) unless that would glue digits together.
        joiner = r" \cdot " if right[0].isdigit() or right[0] == "." else " "
        return left + joiner + right
    return f"{left} {node.op} {right}"


# --------------------------------------------------------------------------
# JAX: a composition of closures over the tree.

_JNP_BINARY = {"+": jnp.add, "-": jnp.subtract, "*": jnp.multiply, "/": jnp.divide}


def _to_jax(node: Node) -> Callable:
    """A function (x, y) -> value built from whitelisted jnp operations.
    Constants stay Python floats (weakly typed), so float32 in, float32 out;
    every operation is a jnp one, so 1/0 is inf and (-8)^(1/3) nan, never a
    Python exception."""
    if isinstance(node, Num):
        value = node.value
        return lambda x, y: value
    if isinstance(node, Name):
        if node.name == "x":
            return lambda x, y: x
        if node.name == "y":
            return lambda x, y: y
        value = CONSTANTS[node.name]
        return lambda x, y: value
    if isinstance(node, Neg):
        inner = _to_jax(node.operand)
        return lambda x, y: jnp.negative(inner(x, y))
    if isinstance(node, Call):
        func = FUNCTIONS[node.func].jax
        parts = [_to_jax(arg) for arg in node.args]
        if len(parts) == 1:
            (part,) = parts
            return lambda x, y: func(part(x, y))
        return lambda x, y: func(*(part(x, y) for part in parts))
    left = _to_jax(node.left)
    if node.op == "^":
        exponent = _fold(node.right)
        if exponent is not None:
            # A constant exponent: an integer one becomes lax.integer_pow, which
            # is exact for negative bases and differentiable at 0.
            p = int(exponent) if exponent.is_integer() else exponent
            return lambda x, y: jnp.power(left(x, y), p)
        right = _to_jax(node.right)
        return lambda x, y: jnp.power(left(x, y), right(x, y))
    right, op = _to_jax(node.right), _JNP_BINARY[node.op]
    return lambda x, y: op(left(x, y), right(x, y))


def _as_float(v):
    v = jnp.asarray(v)  # a Python float stays weakly typed
    return v if jnp.issubdtype(v.dtype, jnp.inexact) else v.astype(float)


def _make_fn(body: Callable) -> Callable:
    def fn(x, y):
        x, y = _as_float(x), _as_float(y)
        # The zeros give a constant formula the inputs' shape and dtype.
        return body(x, y) + jnp.zeros_like(x + y)

    return fn


# --------------------------------------------------------------------------
# Public API.


@dataclass(frozen=True)
class Formula:
    """A compiled formula. `text` is canonical (re-parsing it gives an equal
    tree), `latex` is generated from the tree, `fn(x, y)` is pure jax.numpy
    and works under jit, grad, hessian and vmap."""

    text: str
    latex: str
    fn: Callable = field(compare=False, repr=False)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    return text


def parse_formula(text: str) -> Node:
    """The tree of a formula; raises FormulaError (only) for anything else."""
    _check_text(text)
    _check_characters(text)
    try:
        return _Parser(text).parse()
    except FormulaError as exc:
        # One line, whatever the message quoted.
        raise FormulaError(" ".join(str(exc).split())) from None
    except Exception as exc:  # noqa: BLE001 - the contract: only FormulaError escapes
        raise FormulaError(f"formula could not be read ({type(exc).__name__})") from None


def compile_formula(text: str) -> Formula:
    """Compile `text` into a Formula, or raise FormulaError with a one-line
    message naming what is not allowed and where. Memoized (LRU of
    CACHE_SIZE); the length is checked first, so huge strings are neither
    scanned nor cached."""
    return _compile_cached(_check_text(text))


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_cached(text: str) -> Formula:
    tree = parse_formula(text)
    try:
        return Formula(text=to_text(tree), latex=to_latex(tree), fn=_make_fn(_to_jax(tree)))
    except Exception as exc:  # noqa: BLE001 - defensive; the parse limits bound the walks
        raise FormulaError(f"formula could not be compiled ({type(exc).__name__})") from None

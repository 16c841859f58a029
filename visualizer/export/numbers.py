"""Numbers as the player writes them (numbers.js), for the pictures' colour
bar: three significant digits, powers of ten with superscripts (10⁻⁸,
2.5×10⁻⁸), never "1e-08". A port, JavaScript's own rules included
(`toPrecision` rounds a tie away from zero, `String(x)` writes 1e21 and
0.000001 its own way): tests/browser/test_ported_functions.py runs the
player's functions on the same inputs and compares.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"
_SUPERSCRIPTS = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


def to_precision(v: float, digits: int) -> float:
    """JavaScript's parseFloat(v.toPrecision(digits)): `v` rounded to
    `digits` significant digits, a tie (in v's exact binary value) away
    from zero."""
    if v == 0 or not math.isfinite(v):
        return v
    exact = Decimal(v)
    unit = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return float(exact.quantize(unit, rounding=ROUND_HALF_UP))


def js_string(x: float) -> str:
    """JavaScript's String(x) for a number that is not NaN: the shortest digits that
    read back as x (as Python's repr), laid out as ECMAScript's
    Number::toString lays them out."""
    if x == 0:
        return "0"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    _, digit_tuple, exponent = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), exponent + len(digits)  # x = 0.digits * 10^n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + digits
    else:
        e = n - 1
        body = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return ("-" if x < 0 else "") + body


def plain(v: float, digits: int) -> str:
    return js_string(to_precision(v, digits)).replace("-", MINUS, 1)


def pow10(e: int) -> str:
    return "10" + str(e).translate(_SUPERSCRIPTS)


def sci(v: float, digits: int = 2) -> str:
    """m×10ᵉ with `digits` significant digits in m; "10ᵉ" when m is 1."""
    a = abs(v)
    e = math.floor(math.log10(a))
    scale = math.pow(10, e)  # 0 below 1e-323, where JavaScript's division gives Infinity
    m = to_precision(a / scale if scale else math.inf, digits)
    if m >= 10:
        m, e = m / 10, e + 1
    return (MINUS if v < 0 else "") + ("" if m == 1 else js_string(m) + "\u00d7") + pow10(e)


def fmt(v: float) -> str:
    if math.isnan(v):
        return "not finite"
    if math.isinf(v):
        return "\u221e" if v > 0 else MINUS + "\u221e"
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return sci(v, 3)
    return plain(v, 3)


def tick_text(v: float, use_plain: bool) -> str:
    """A tick label: plain decimals when the whole axis can use them, else powers of ten."""
    if v == 0:
        return "0"
    return plain(v, 3) if use_plain else sci(v, 2)


def linear_ticks(lo: float, hi: float, most: int) -> tuple[list[float], list[str]]:
    """Evenly spaced "nice" ticks over [lo, hi], at most `most` of them, and their labels."""
    if not hi > lo:
        return [], []
    raw = (hi - lo) / max(1, most - 1)
    p = math.pow(10, math.floor(math.log10(raw)))
    step = next((m * p for m in (1, 2, 2.5, 5, 10) if (hi - lo) / (m * p) <= most - 1 + 1e-9), 10 * p)
    values = []
    v = math.ceil(lo / step - 1e-9) * step
    while v <= hi + 1e-9 * step:
        values.append(0.0 if abs(v) < 1e-12 * step else v)
        v += step
    big = any(v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3) for v in values)
    return values, [tick_text(v, False) if big else plain(v, 4) for v in values]

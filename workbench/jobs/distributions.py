"""Random-search distributions and the small grammar of ``--random name=dist(args)``.

The text is read with a regular expression and a comma splitter, never evaluated.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from workbench.entities import check_param_name
from workbench.errors import InvalidInput
from workbench.notebooks.reader import shown

FORMS = (
    "uniform(a,b), loguniform(a,b) with 0 < a <= b, int(a,b) (whole numbers, both ends "
    "included), normal(mu,sigma) with sigma > 0, choice(x,y,...)"
)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    def to_text(self) -> str:
        return f"uniform({self.low!r},{self.high!r})"


@dataclass(frozen=True)
class LogUniform:
    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return min(max(value, self.low), self.high)  # exp(log(x)) may round just outside

    def to_text(self) -> str:
        return f"loguniform({self.low!r},{self.high!r})"


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int

    def sample(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)

    def to_text(self) -> str:
        return f"int({self.low},{self.high})"


@dataclass(frozen=True)
class Normal:
    mu: float
    sigma: float

    def sample(self, rng: random.Random) -> float:
        return rng.gauss(self.mu, self.sigma)

    def to_text(self) -> str:
        return f"normal({self.mu!r},{self.sigma!r})"


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]  # text, coerced to the parameter's type with the rest of the job

    def sample(self, rng: random.Random) -> str:
        return rng.choice(self.options)

    def to_text(self) -> str:
        return "choice(" + ",".join(_quote(o) for o in self.options) + ")"


Distribution = Uniform | LogUniform | IntRange | Normal | Choice

_SPEC = re.compile(r"\s*(?P<name>[^=]*?)\s*=\s*(?P<kind>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*", re.S)


def parse_random(text: str) -> tuple[str, Distribution]:
    """``"lr=loguniform(1e-4,1e-1)"`` -> ``("lr", LogUniform(0.0001, 0.1))``."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise _bad(text, "expected name=distribution(arguments)")
    name = check_param_name(match["name"])
    kind = match["kind"]
    try:
        args = split_values(match["args"])
    except ValueError as exc:
        raise _bad(text, str(exc)) from None
    if kind == "choice":
        if not args:
            raise _bad(text, "choice needs at least one value")
        return name, Choice(tuple(args))
    if kind not in ("uniform", "loguniform", "int", "normal"):
        raise _bad(text, f"unknown distribution {kind!r}")
    if len(args) != 2:
        raise _bad(text, f"{kind} takes 2 numbers, got {len(args)}")
    if kind == "int":
        low, high = (_whole(text, a) for a in args)
        if low > high:
            raise _bad(text, f"the lower bound {low} is above the upper bound {high}")
        return name, IntRange(low, high)
    a, b = (_number(text, a) for a in args)
    if kind == "normal":
        if b <= 0:
            raise _bad(text, f"sigma must be above 0, got {b!r}")
        if not math.isfinite(abs(a) + 40 * b):  # draws could overflow to infinity
            raise _bad(text, "mu and sigma are too large to draw finite numbers")
        return name, Normal(a, b)
    if a > b:
        raise _bad(text, f"the lower bound {a!r} is above the upper bound {b!r}")
    if not math.isfinite(b - a):  # uniform draws a + (b - a) * u: infinity otherwise
        raise _bad(text, "the bounds are too far apart to draw finite numbers between them")
    if kind == "loguniform":
        if a <= 0:
            raise _bad(text, f"loguniform needs bounds above 0, got {a!r}")
        return name, LogUniform(a, b)
    return name, Uniform(a, b)


def split_values(text: str) -> list[str]:
    """Split ``a, "b,c", [1,2]`` at top-level commas -> ``["a", "b,c", "[1,2]"]``.

    Quotes group (and are removed from a whole item); brackets nest, so list and object
    values keep their commas. Raises ValueError on an empty item or an unclosed quote/bracket.
    """
    if not text.strip():
        return []
    items: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and not text[start:i].strip():  # quotes group whole items only
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unmatched {ch!r}")
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if quote:
        raise ValueError(f"unclosed quote {quote}")
    if depth:
        raise ValueError("unclosed bracket")
    items.append(text[start:])
    out = []
    for item in (s.strip() for s in items):
        if not item:
            raise ValueError('empty value between commas (quote it as "" to mean empty text)')
        if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'":
            item = item[1:-1]
        out.append(item)
    return out


def _number(text: str, arg: str) -> float:
    try:
        value = float(arg)
    except ValueError:
        raise _bad(text, f"{shown(arg, quoted=True)} is not a number") from None
    if not math.isfinite(value):
        raise _bad(text, f"{shown(arg, quoted=True)} is not a finite number")
    return value


def _whole(text: str, arg: str) -> int:
    try:
        return int(arg)
    except ValueError:
        raise _bad(text, f"int(a,b) takes whole numbers, got {shown(arg, quoted=True)}") from None


def _quote(option: str) -> str:
    if option and not any(c in option for c in ",\"'[]{}()") and option == option.strip():
        return option
    return '"' + option + '"' if '"' not in option else "'" + option + "'"


class BadDistribution(InvalidInput):
    """A random distribution text that cannot be read; ``problem`` says what is wrong with
    it alone (a form shows that beside the field, without the CLI's wording)."""

    def __init__(self, message: str, problem: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message


def _bad(text: str, problem: str) -> InvalidInput:
    return BadDistribution(
        f"cannot read --random {shown(text, quoted=True)}: {problem}. "
        f"Write name=DIST with DIST one of: {FORMS}",
        problem,
    )

"""The overlays of "Inside a step", declared once: what the player draws at
the update shown, in the order of its key.

Each `Overlay` is an arrow from the point shown or a box centred on it,
whose vector is a product of that update's numbers (the names of
visualizer/core/step_rules.py: `lr`, `graw`, state, rule values, ...), an
arrow to one of its points (`xn`, the next point), or, for an overlay the
run's own rule gives (`from_rule`), the factors of that rule's drawing of
the same name (step_rules' `moment`, `box`); a run whose rule has none
has no such overlay. The player gets the table with the overlays' numbers
(`describe()`, in the payload's `inside`) and builds its key, its switches,
its drawing and its test hooks from it, so an overlay added here is drawn
and switchable with no JavaScript, as long as its style (`style`: an entry
of the player's style table, marks.js's `inside`) exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ARROW = "arrow"
BOX = "box"  # half-widths: the absolute values of the vector


@dataclass(frozen=True)
class Overlay:
    kind: str  # its name in the payload, the key and the test hooks
    label: str  # the key's chip and the arrow's name on the plot
    title: str  # the chip's tooltip
    shape: str  # ARROW or BOX
    factors: tuple[str, ...] = ()  # the vector: sign x the product of these numbers of the update
    sign: int = 1
    to: str | None = None  # or: an arrow from the point shown to this point
    from_rule: bool = False  # or: the factors of the run's rule's drawing of this kind
    label_from_rule: bool = False  # the rule's drawing names it (up to " (": the chip; all of it: the tooltip)
    dashed: bool = False  # an arrow that often lies on another: dashed, so both show
    layer: int = 0  # drawn in order of layer, the highest on top
    adds_to: str | None = None  # where the rule says so, it and this overlay add up to the update
    adds_title: str = ""  # said in the tooltip when they do
    style: str = ""  # its entry in the style table; its kind when empty

    def __post_init__(self):
        if self.shape not in (ARROW, BOX):
            raise ValueError(f"{self.kind}: shape must be {ARROW!r} or {BOX!r}, got {self.shape!r}")
        ways = bool(self.factors) + (self.to is not None) + self.from_rule
        if ways != 1:
            raise ValueError(f"{self.kind}: give exactly one of factors, to and from_rule")
        if self.sign not in (1, -1):
            raise ValueError(f"{self.kind}: {self.sign=} is not 1 or -1")

    def describe(self) -> dict:
        """The entry as the player reads it (visualizer/page/player.py)."""
        return {**asdict(self), "factors": list(self.factors), "style": self.style or self.kind}


OVERLAYS: tuple[Overlay, ...] = (
    Overlay("update", "step", "The update applied: from x\u209c to x\u209c\u208a\u2081 (click to hide or show)",
            ARROW, to="xn", layer=3),
    Overlay("grad", "\u2212\u03b7\u2207f",
            "The negative gradient times the learning rate: the plain gradient step from here",
            ARROW, factors=("lr", "graw"), sign=-1, layer=1),
    Overlay("moment", "moment", "The velocity or first moment, scaled like the gradient step it stands for",
            ARROW, sign=-1, from_rule=True, label_from_rule=True, dashed=True, layer=2, adds_to="grad",
            adds_title=": with the gradient step it adds up to the step (dashed)"),
    Overlay("box", "step size", "The per-coordinate step size: half-widths = each coordinate's learning rate "
            "\u00d7 |g| (sign methods: the learning rate; Rprop: its step sizes). A square would be plain "
            "gradient descent.", BOX, from_rule=True, layer=0),
)


def overlays_payload() -> list[dict]:
    """The table, in the key's order, as the payload's `inside.overlays`."""
    return [o.describe() for o in OVERLAYS]


def run_drawings(rule: dict) -> dict:
    """A run's drawings of the overlays its rule gives (step_rules.build's
    parts of those names), by kind; a kind its rule has none of is left out."""
    return {o.kind: rule[o.kind] for o in OVERLAYS if o.from_rule and rule.get(o.kind) is not None}

"""A run: one optimizer with every value that shapes its path, and the keys
the scene language gives it.

    run=adam:lr=0.05,b1=0.9,schedule=cosine,min_ratio=0.1,clip_norm=1,label=Adam

A run's keys, in canonical order, are `lr`, its optimizer's hyperparameters,
`schedule` and the schedule's parameters, then the run's own settings in
`SETTINGS` (clipping, noise, seed, its own start, what a network does with
its unlabelled points, label). Each is a `RunKey`,
declared once; parsing, the canonical form, the sidebar, the CLI listing and
the reference in docs/ all iterate `keys_of(optimizer, schedule)`. Adding a
run setting is one entry in `SETTINGS` (and, if the engine must see it, one
field of `pipeline.RunArguments`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote_plus

from visualizer.core.errors import SceneError
from visualizer.core.knobs import Knob, show_text
from visualizer.core.model.keys import THRESHOLD, UNLABELED_HELP, UNLABELED_MODES, WEIGHT
from visualizer.core.optimizers import LR, OPTIMIZERS
from visualizer.core.schedules import SCHEDULES

COORD_LIMIT = 1e5
MAX_LABEL_LENGTH = 60

NUMBER = "number"  # always has a value
SWITCH = "switch"  # a number, or off (None) unless given
CHOICE = "choice"
TEXT = "text"


@dataclass(frozen=True)
class RunKey:
    """One key of a run. `always`: written in the canonical form even at its
    default (lr and every hyperparameter, so a link says what it ran)."""

    name: str
    kind: str
    knob: Knob | None = None
    default: object = None
    always: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    model_only: bool = False  # a network's (surface=mlp) only: elsewhere it must keep its default
    caption: str = ""  # the sidebar's label of a key without a knob

    @property
    def title(self) -> str:
        return self.knob.label if self.knob else (self.caption or self.name)

    def parse(self, values: list[str], where: str) -> object:
        if self.kind == TEXT:
            return _label(",".join(values), where)
        text = _single(values, where, self.name)
        if self.kind == CHOICE:
            if text not in self.choices:
                raise SceneError(f"{where}: unknown {self.name} {show_text(text)}; allowed: "
                                 f"{', '.join(self.choices)}", "run")
            return text
        return self.knob.parse(text, where, "run")

    def omitted(self, value) -> bool:
        """Left out of the canonical form."""
        return not self.always and value == self.default

    def describe(self) -> dict:
        if self.knob is not None:
            out = self.knob.describe()
            if self.kind == SWITCH:
                out.update(default=None, help=out["help"] + "; off unless given")
            return out
        out = {"name": self.name, "default": self.default, "help": self.help}
        if self.kind == CHOICE:
            out["choices"] = list(self.choices)
        else:
            out["max_length"] = MAX_LABEL_LENGTH
        return out


CLIP_VALUE = Knob("clip_value", 1.0, 0.0, 1e6, "c", "clip each gradient component to [-c, c] (optax.clip)",
                  title="Clip value c", log=True, low_open=True, sweep=(0.01, 1000.0))
CLIP_NORM = Knob("clip_norm", 1.0, 0.0, 1e6, "c", "rescale the gradient to norm at most c (optax.clip_by_global_norm)",
                 title="Clip norm c", log=True, low_open=True, sweep=(0.01, 1000.0))
NOISE = Knob("noise", 0.0, 0.0, 1e4, r"\sigma", "std of Gaussian noise added to the gradient",
             title="Gradient noise σ", log=True, sweep=(0.001, 1000.0))
SEED = Knob("seed", 0, 0, 2**31 - 1, "s", "seed of the gradient noise", title="Seed", integer=True)
SEEDS = Knob("seeds", 1, 1, 1024, "N", "copies of the run, each with its own noise seed (seed, seed + 1, ...), "
             "drawn as a cloud: the median path and the 10-90% band; needs noise, on a 2D surface",
             title="Seeds (a cloud)", integer=True)
X0 = Knob("x0", 0.0, -COORD_LIMIT, COORD_LIMIT, "x_0", "this run's own start, x (the scene's start when not given)",
          title="Start x")
Y0 = Knob("y0", 0.0, -COORD_LIMIT, COORD_LIMIT, "y_0", "this run's own start, y (the scene's start when not given)",
          title="Start y")

LR_KEY = RunKey("lr", NUMBER, LR, always=True)
SCHEDULE_KEY = RunKey("schedule", CHOICE, default="constant", choices=tuple(SCHEDULES),
                      help="learning-rate schedule; its parameters are run keys too", caption="Schedule")
SETTINGS = (
    RunKey("clip_value", SWITCH, CLIP_VALUE),
    RunKey("clip_norm", SWITCH, CLIP_NORM),
    RunKey("noise", NUMBER, NOISE, default=0.0),
    RunKey("seed", NUMBER, SEED, default=0),
    RunKey("seeds", NUMBER, SEEDS, default=1),
    RunKey("x0", SWITCH, X0),
    RunKey("y0", SWITCH, Y0),
    RunKey("unlabeled", CHOICE, default="ignore", choices=UNLABELED_MODES, help=UNLABELED_HELP, model_only=True,
           caption="Unlabelled points"),
    RunKey("threshold", NUMBER, THRESHOLD, default=THRESHOLD.default, model_only=True),
    RunKey("weight", NUMBER, WEIGHT, default=WEIGHT.default, model_only=True),
    RunKey("label", TEXT, default="", help="plain text shown in legends; percent-encode , : = & + inside it"),
)


MODEL_ONLY = tuple(k.name for k in SETTINGS if k.model_only)


def keys_of(optimizer_id: str, schedule_id: str = "constant") -> tuple[RunKey, ...]:
    """Every key of a run of this optimizer and schedule, in canonical order.
    A model-only setting whose name the optimizer's own hyperparameter has
    (RAdam's `threshold`, optax's name) is not among them: the
    hyperparameter keeps its name, and the setting its default
    (`Run.setting`)."""
    opt, sched = OPTIMIZERS[optimizer_id], SCHEDULES[schedule_id]
    hypers = {h.name for h in opt.hypers}
    return (
        replace(LR_KEY, default=opt.lr),
        *(RunKey(h.name, NUMBER, h, default=h.default, always=True) for h in opt.hypers),
        SCHEDULE_KEY,
        *(RunKey(p.name, NUMBER, p, default=p.default, always=True) for p in sched.params),
        *(k for k in SETTINGS if not (k.model_only and k.name in hypers)),
    )


def _check_names_are_unique() -> None:
    """A hyperparameter, a schedule parameter and a setting sharing a name
    would make `run=...:name=v` ambiguous (a model-only setting aside, which
    gives way to a hyperparameter: `keys_of`)."""
    settings = {k.name for k in (LR_KEY, SCHEDULE_KEY, *SETTINGS) if not k.model_only}
    model_only = set(MODEL_ONLY)
    for opt in OPTIMIZERS.values():
        for sched in SCHEDULES.values():
            names = [h.name for h in opt.hypers] + [p.name for p in sched.params]
            clash = ((set(names) & settings) | {n for n in names if names.count(n) > 1}
                     | ({p.name for p in sched.params} & model_only))
            if clash:
                raise ValueError(f"run keys of {opt.id} with {sched.id} clash: {sorted(clash)}")


_check_names_are_unique()


@dataclass(frozen=True)
class Run:
    """One optimizer run: its optimizer id and the value of every key it has
    (defaults filled in, None for a switch that is off). Read a value as an
    attribute: `run.lr`, `run.clip_norm`, `run.label`."""

    optimizer: str
    values: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def make(cls, optimizer: str, **given) -> Run:
        """A run with `given` values and defaults for the rest. An unknown
        name is a programming error (ValueError), not a user's."""
        keys = keys_of(optimizer, given.get("schedule", "constant"))
        unknown = set(given) - {k.name for k in keys}
        if unknown:
            raise ValueError(f"{optimizer} with schedule {given.get('schedule', 'constant')!r} "
                             f"has no key {sorted(unknown)}")
        values = {}
        for k in keys:
            value = given.get(k.name, k.default)
            values[k.name] = k.knob.coerce(value) if (k.knob and value is not None) else value
        return cls(optimizer, values)

    def __getattr__(self, name: str):
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"run has no {name!r}")

    def keys(self) -> tuple[RunKey, ...]:
        return keys_of(self.optimizer, self.values["schedule"])

    @property
    def hyper(self) -> dict[str, float]:
        return {h.name: self.values[h.name] for h in OPTIMIZERS[self.optimizer].hypers}

    @property
    def schedule_params(self) -> dict[str, float]:
        return {p.name: self.values[p.name] for p in SCHEDULES[self.values["schedule"]].params}

    def replace(self, **changes) -> Run:
        """This run with some values changed. A new schedule brings its own
        parameters at their defaults."""
        values = dict(self.values, **changes)
        if "schedule" in changes and changes["schedule"] != self.values["schedule"]:
            for p in SCHEDULES[self.values["schedule"]].params:
                values.pop(p.name, None)
        names = {k.name for k in keys_of(self.optimizer, values["schedule"])}
        return Run.make(self.optimizer, **{k: v for k, v in values.items() if k in names})

    def with_optimizer(self, optimizer_id: str) -> Run:
        """The same run with another optimizer: the learning rate, schedule
        and settings stay; hyperparameters the new optimizer shares with the
        old one (b1, b2, eps...) keep their values, the rest take defaults."""
        names = {k.name for k in keys_of(optimizer_id, self.values["schedule"])}
        kept = {k: v for k, v in self.values.items() if k in names}
        # A shared name with a narrower range here (RAdam's threshold and
        # the pseudo-label threshold share one, too): the default instead.
        for k in keys_of(optimizer_id, self.values["schedule"]):
            value = kept.get(k.name)
            if k.knob is not None and value is not None and not k.knob.contains(value):
                kept.pop(k.name)
        return Run.make(optimizer_id, **kept)

    def params(self, network: bool = False) -> dict:
        """Everything that shapes the trajectory, as plain values (no label);
        the keys only a network has only on a network."""
        hypers = self.hyper
        return {k: v for k, v in self.values.items()
                if k != "label" and (network or k not in MODEL_ONLY or k in hypers)}

    def setting(self, name: str):
        """The value of setting `name` (of SETTINGS), its default where this
        run's optimizer has a hyperparameter of that name instead."""
        key = next(k for k in SETTINGS if k.name == name)
        if key.model_only and name in self.hyper:
            return key.default
        return self.values[name]

    def model_only_given(self) -> list[str]:
        """The network-only keys this run sets away from their defaults."""
        return [k.name for k in SETTINGS if k.model_only and self.setting(k.name) != k.default]

    def without_model_only(self) -> Run:
        """This run with the network-only keys at their defaults (for a surface)."""
        given = self.model_only_given()
        return self.replace(**{k.name: k.default for k in SETTINGS if k.name in given}) if given else self

    def automatic_label(self) -> str:
        return f"{OPTIMIZERS[self.optimizer].name} lr={self.values['lr']:g}"

    def display_label(self) -> str:
        return self.values["label"] or self.automatic_label()

    def to_spec(self) -> str:
        """This run in canonical scene-language form."""
        items = [(k.name, self.values[k.name]) for k in self.keys() if not k.omitted(self.values[k.name])]
        return self.optimizer + ":" + ",".join(f"{name}={atom(value)}" for name, value in items)


def display_labels(runs) -> list[str]:
    """Each run's label as legends show it: two runs that would read the
    same get " (2)", " (3)"... so every entry can be told apart."""
    labels = [run.display_label() for run in runs]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


# ---------------------------------------------------------------- parsing


def parse_run(raw: str, index: int, report) -> Run:
    """`optimizer[:key=value,...]` as a Run. A bad optimizer raises; a bad
    value goes to `report(SceneError)` (which raises in strict parsing) and
    the key keeps its default."""
    from urllib.parse import unquote_plus

    where = f"run {index}"
    head, _, rest = raw.partition(":")
    opt_id = unquote_plus(head)
    if opt_id not in OPTIMIZERS:
        raise SceneError(f"{where}: unknown optimizer {show_text(opt_id)}; allowed: {', '.join(OPTIMIZERS)}", "run")
    given: dict[str, list[str]] = {}
    for name, values in pairs(rest, where):
        if name in given:
            report(SceneError(f"{where}: {show_text(name)} given twice; give it once", "run"))
            continue
        given[name] = values

    def value_of(key: RunKey):
        if key.name not in given:
            return key.default
        try:
            return key.parse(given.pop(key.name), where)
        except SceneError as exc:
            report(exc)
            return key.default

    schedule = value_of(SCHEDULE_KEY)
    keys = keys_of(opt_id, schedule)
    values = {k.name: (schedule if k is SCHEDULE_KEY else value_of(k)) for k in keys}
    for name in given:
        report(SceneError(f"{where}: {_unknown(name, opt_id, schedule)}; allowed: "
                          f"{', '.join(k.name for k in keys)}", "run"))
    return Run.make(opt_id, **values)


def _unknown(name: str, opt_id: str, schedule: str) -> str:
    owners = [s.id for s in SCHEDULES.values() if name in (p.name for p in s.params)]
    if owners:
        return f"{name} is a parameter of schedule {', '.join(owners)}, not of {schedule!r}"
    if any(name in (h.name for h in o.hypers) for o in OPTIMIZERS.values()):
        return f"{opt_id} takes no {name}"
    return f"unknown key {show_text(name)}"


def pairs(text: str, where: str) -> list[tuple[str, list[str]]]:
    """`a=1,b=2,3` -> [("a", ["1"]), ("b", ["2", "3"])]: a token without `=`
    continues the list of the key before it (windows, labels)."""
    from urllib.parse import unquote_plus

    out: list[tuple[str, list[str]]] = []
    if not text:
        return out
    for token in text.split(","):
        name, eq, value = token.partition("=")
        if eq:
            out.append((unquote_plus(name), [unquote_plus(value)]))
        elif out:
            out[-1][1].append(unquote_plus(token))
        else:
            raise SceneError(f"{where}: {show_text(unquote_plus(token))} is not key=value", where.split()[0])
    return out


def _single(values: list[str], where: str, name: str) -> str:
    if len(values) != 1:
        raise SceneError(f"{where}: {name} takes one value, got {show_text(','.join(values))}", where.split()[0])
    return values[0]


def _label(text: str, where: str) -> str:
    if len(text) > MAX_LABEL_LENGTH:
        raise SceneError(f"{where}: label is {len(text)} characters long; the limit is {MAX_LABEL_LENGTH}", "run")
    if not text.isprintable():
        raise SceneError(f"{where}: label {show_text(text)} has control characters; use plain text", "run")
    if text and not any(unicodedata.category(ch)[0] in "LNPS" for ch in text):
        # Spaces and invisible format characters only: a blank legend entry.
        raise SceneError(f"{where}: label {show_text(text)} has no visible characters; use plain text", "run")
    return text


# ---------------------------------------------------------------- atoms


def atom(value) -> str:
    """One value in canonical form: shortest repr for numbers, percent-encoded
    text (so `,` `:` `=` `&` `+` inside a label survive)."""
    if isinstance(value, bool):
        raise TypeError("booleans have no scene form")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else repr(value).removesuffix(".0")
    return text_atom(str(value))


# Characters that never separate anything in a scene and read well in an
# address bar; everything else in user text is percent-encoded, and spaces
# travel as `+`.
_READABLE = "()*/^!'"


def text_atom(text: str) -> str:
    return quote_plus(text, safe=_READABLE)

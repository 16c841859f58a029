"""Lessons: a title, a few sentences on what to look at, a scene, and three
to five "try this" steps, each a scene of its own with one line on what it
changes. Lessons are data: the page, the CLI (`python -m visualizer lessons`)
and the address (`lesson=<id>`) render any entry, and tests/test_lessons.py
checks every claim a lesson makes against the engine.

A lesson asks before it shows: the lesson and each of its steps carry a
question (`visualizer.core.questions`: what is asked; the engine answers
it), and the words split in two: `text` and `line` set the scene without
giving the outcome away, `after` says what happened, once the question is
answered.

A scene is a query as in a link (labels percent-encoded: `+` is a space,
`%2C` a comma, `%2B` a plus). A step's scene holds the keys given beside
`lesson=<id>`: they override the lesson's scene, and runs given there
replace all of the lesson's runs; a step whose scene starts with `lesson=`
opens that lesson instead (`Lesson.step_query` gives the full query).
"""

from __future__ import annotations

from dataclasses import dataclass

from visualizer.core.knobs import registry
from visualizer.core.questions import Ask, diverges, number, order, outcome, where, which


@dataclass(frozen=True)
class Step:
    line: str  # what it changes, one line, not what comes of it
    scene: str  # the scene it opens (a query; keys beside `lesson=` override the lesson's scene)
    question: Ask | None = None  # None only for a step that opens another lesson (which asks its own)
    after: str = ""  # what comes of it, one line: shown once the question is answered

    def __post_init__(self):
        if (self.question is None) != self.scene.startswith("lesson="):
            raise ValueError(f"step {self.line!r}: a question, unless it opens another lesson")


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    topic: str
    text: str  # a few sentences on what to look at, not what comes of it
    scene: str  # the lesson's own scene (a query)
    steps: tuple[Step, ...]
    question: Ask
    after: str = ""  # what comes of it: shown once the question is answered

    def step_query(self, index: int) -> str:
        """The whole query that opens step `index`: its keys beside this
        lesson's id, or the step's own query when it opens a lesson."""
        query = self.steps[index].scene
        return query if query.startswith("lesson=") else f"lesson={self.id}&{query}"

    def describe(self) -> dict:
        return {"id": self.id, "title": self.title, "topic": self.topic, "text": self.text, "after": self.after,
                "scene": self.scene,
                "steps": [{"line": s.line, "after": s.after, "scene": s.scene} for s in self.steps]}


# The bowl most lessons share: surface=quadratic, curvature 1 along the
# valley and `cond` across it (so L = cond), rotated 30 degrees, from its
# default start (-2.6, 1.2).
_ENTRIES: tuple[Lesson, ...] = (
    Lesson(
        "learning-rate", "The learning rate", "step size",
        "Curvature is how fast the slope changes: this bowl's is 1 along its valley, L = 10 across it. A run "
        "arrives when its loss is within 0.001 of the minimum's. SGD at lr 0.01, 0.1 = 1/L, 0.19 and 0.22.",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.01,label=lr+0.01&"
        "run=sgd:lr=0.1,label=lr+0.1+(1/L)&run=sgd:lr=0.19,label=lr+0.19&"
        "run=sgd:lr=0.22,label=lr+0.22",
        (
            Step("lr 0.19 and 0.21, either side of 2/L",
                 "run=sgd:lr=0.19,label=lr+0.19&run=sgd:lr=0.21,label=lr+0.21",
                 question=which("final_loss", "lr 0.19 or 0.21: which one comes back?"),
                 after="0.19's zig-zag shrinks; 0.21's grows, and it ends above its start"),
            Step("cond=1, so L = 1: lr 1 = 1/L and lr 1.9",
                 "surface=quadratic:cond=1&run=sgd:lr=1,label=lr+1+(1/L)&run=sgd:lr=1.9,label=lr+1.9",
                 question=where(1, 1, "Tap where lr 1 will be after one step."),
                 after="lr 1 lands on the minimum in one step; lr 1.9, below 2/L = 2, arrives too"),
            Step("cond=100, so 2/L = 0.02: lr 0.019 and 0.022",
                 "surface=quadratic:cond=100&run=sgd:lr=0.019,label=lr+0.019&run=sgd:lr=0.022,label=lr+0.022",
                 question=outcome(2),
                 after="0.022 diverges; 0.019 is stable, but its loss is still 0.03 after 100 steps"),
            Step("Every rate from 0.001 to 1 at once: the next lesson",
                 "lesson=lr-sensitivity"),
        ),
        question=number("largest_stable_lr", 3, "What is the largest rate at which SGD still lowers the loss here?"),
        after="lr 0.01 crawls: loss 0.18 after 100 steps. 0.1 removes the steep direction at once, arriving by "
        "step 35; 0.19 zig-zags, each swing 10% smaller, arriving by step 49. 0.22, past 2/L = 0.2, swings 20% "
        "wider: it diverges at step 71.",
    ),
    Lesson(
        "lr-sensitivity", "Final loss against the learning rate", "step size",
        "The curve is the loss after 100 SGD steps on the cond=10 bowl (from 28.7), for 128 rates from 0.001 "
        "to 1; three of those runs are drawn. Where does the curve reach its floor, and where is its cliff?",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.18,label=lr+0.18&"
        "run=sgd:lr=0.01,label=lr+0.01&run=sgd:lr=0.25,label=lr+0.25&"
        "explore=lr:lo=0.001,hi=1,n=128",
        (
            Step("Momentum 0.9 at lr 0.1: where is the cliff now?",
                 "run=momentum:lr=0.1,momentum=0.9,label=Momentum+0.9",
                 question=number("largest_stable_lr", 1),
                 after="The cliff moves out to 2(1 + 0.9)/L = 0.38; the floor is far shallower"),
            Step("cond=100: a hundred times steeper across the valley",
                 "surface=quadratic:cond=100&run=sgd:lr=0.019,label=SGD",
                 question=number("largest_stable_lr", 1),
                 after="The cliff moves in to 2/L = 0.02, and no rate gets within 1e-3"),
            Step("Adam at lr 0.1 instead of SGD",
                 "run=adam:lr=0.1,label=Adam",
                 question=outcome(1),
                 after="Adam's steps are about lr long: no cliff up to lr 1, but a shallower floor"),
            Step("300 steps instead of 100",
                 "steps=300",
                 question=number("largest_stable_lr", 1),
                 after="The floor deepens; the cliff stays at 2/L = 0.2"),
            Step("A network on the moons, 200 steps: SGD's final loss at 64 rates, 0.001 to 1000",
                 "surface=mlp:data=moons&steps=200&run=sgd:lr=0.5,label=SGD&run=adam:lr=0.03,label=Adam&"
                 "explore=lr:lo=0.001,hi=1000,n=64",
                 question=number("largest_stable_lr", 1, "Up to which rate does SGD still lower the network's loss?"),
                 after="Up to about lr 22. Adam's loss (explore=lr:run=2) falls only up to about lr 4"),
        ),
        question=number("largest_stable_lr", 1, "Up to which rate does the loss still fall: where is the cliff?"),
        after="It falls to a floor near lr 0.18 = 2/(L + 1), where both axes shrink equally fast. From 2/L = 0.2 "
        "on, every rate ends above its start: the best rate is less than 20% below the first that blows up.",
    ),
    Lesson(
        "schedules", "Schedules: a rate too high, tamed", "step size",
        "Four SGD runs at lr 0.22 on the cond=10 bowl, just above 2/L = 0.2: constant, step decay (halving "
        "every 10 steps), cosine, and 20 warm-up steps then cosine.",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.22,label=constant&"
        "run=sgd:lr=0.22,schedule=step,step_size=10,gamma=0.5,label=step+decay&"
        "run=sgd:lr=0.22,schedule=cosine,label=cosine&"
        "run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine",
        (
            Step("Cosine to 95% (min_ratio=0.95): the rate never falls below 0.209",
                 "run=sgd:lr=0.22,label=constant&"
                 "run=sgd:lr=0.22,schedule=cosine,min_ratio=0.95,label=cosine+to+95%25",
                 question=outcome(2),
                 after="0.209 is still over 2/L: it diverges too"),
            Step("Warm-up without decay (min_ratio=1), beside warm-up + cosine, 150 steps",
                 "steps=150&run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine&"
                 "run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,min_ratio=1,label=warm-up+only",
                 question=which("final_loss"),
                 after="Without decay it comes within 1e-3, then the zig-zag grows back"),
            Step("lr 0.3, further above 2/L, with the same four schedules",
                 "run=sgd:lr=0.3,label=constant&"
                 "run=sgd:lr=0.3,schedule=step,step_size=10,gamma=0.5,label=step+decay&"
                 "run=sgd:lr=0.3,schedule=cosine,label=cosine&"
                 "run=sgd:lr=0.3,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine",
                 question=outcome(3),
                 after="Constant and cosine diverge; step decay and warm-up + cosine arrive, after flying far"),
            Step("Exponential decay (gamma 0.97) beside the constant rate",
                 "run=sgd:lr=0.22,label=constant&"
                 "run=sgd:lr=0.22,schedule=exponential,gamma=0.97,label=exponential+0.97",
                 question=outcome(2),
                 after="It is below 2/L from step 4 on, and arrives by step 20"),
            Step("Adam at lr 0.3, with and without 20 warm-up steps",
                 "run=adam:lr=0.3,label=Adam%2C+constant&"
                 "run=adam:lr=0.3,schedule=warmup_cosine,warmup=20,min_ratio=1,label=Adam%2C+warm-up",
                 question=where(1, 1, "Tap where Adam without warm-up is after one step."),
                 after="Its second moment rests on one gradient: the first step is lr long in each coordinate"),
        ),
        question=order("arrival", "Order the four schedules by when they arrive, first first."),
        after="Constant, the zig-zag grows 20% a step: it diverges at step 71. Step decay flies 14 units out, then "
        "arrives by step 20. Cosine is below 0.2 only from step 20: 28 units out, arrived by 42. Warm-up + "
        "cosine settles the steep axis before passing 0.2, arriving by step 26.",
    ),
    Lesson(
        "momentum", "Momentum through a ravine", "momentum",
        "At cond=100 the bowl is a ravine, 100 times steeper across than along, so SGD needs lr < 2/L = "
        "0.02. Both runs take lr 0.019; momentum 0.9 also keeps 90% of its last step.",
        "surface=quadratic:cond=100&steps=150&"
        "run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9%2C+lr+0.019&"
        "run=sgd:lr=0.019,label=SGD%2C+lr+0.019",
        (
            Step("Momentum 0.99 against SGD",
                 "run=momentum:lr=0.019,momentum=0.99,label=Momentum+0.99&run=sgd:lr=0.019,label=SGD",
                 question=which("final_loss"),
                 after="Too much memory: it swings all run long and ends worse than SGD"),
            Step("Momentum 0.5, momentum 0.9 and SGD",
                 "run=momentum:lr=0.019,momentum=0.5,label=Momentum+0.5&"
                 "run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9&run=sgd:lr=0.019,label=SGD",
                 question=order("arrival"),
                 after="Momentum 0.5 does not overshoot along the floor, and arrives first, by step 91"),
            Step("Theory's best pair for cond=100: lr 0.033 with momentum 0.67",
                 "run=momentum:lr=0.0331,momentum=0.669,label=Momentum+0.67%2C+lr+0.033&"
                 "run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9%2C+lr+0.019",
                 question=number("arrival_step", 1),
                 after="It arrives by step 72"),
            Step("cond=10 at lr 0.18: momentum 0.9 against SGD",
                 "surface=quadratic:cond=10&run=momentum:lr=0.18,momentum=0.9,label=Momentum+0.9&"
                 "run=sgd:lr=0.18,label=SGD",
                 question=which("arrival"),
                 after="SGD arrives by step 24, momentum 0.9 only by step 73"),
        ),
        question=which("final_loss", "After 150 steps, which ends lower: momentum 0.9 or SGD?"),
        after="SGD crosses the floor every step, while each step along covers 1.9% of the way: it ends at loss "
        "0.004. Momentum's swings across cancel, its push along builds up, and it ends at 4e-5. The price: "
        "it overshoots the minimum six times before settling.",
    ),
    Lesson(
        "nesterov", "Nesterov's look-ahead", "momentum",
        "Momentum and Nesterov, both lr 0.1 and momentum 0.9, on the cond=10 bowl. Nesterov steps along the "
        "gradient plus momentum times its new velocity: it looks ahead, and brakes sooner when the slope "
        "turns.",
        "surface=quadratic:cond=10&steps=150&run=nesterov:lr=0.1,momentum=0.9,label=Nesterov&"
        "run=momentum:lr=0.1,momentum=0.9,label=Momentum",
        (
            Step("Momentum 0.99 for both",
                 "run=nesterov:lr=0.1,momentum=0.99,label=Nesterov+0.99&"
                 "run=momentum:lr=0.1,momentum=0.99,label=Momentum+0.99",
                 question=which("arrival"),
                 after="Momentum never arrives; Nesterov passes within 0.001 by step 4 and stays from step 60"),
            Step("lr 0.15 for both: Nesterov's limit is 2(1 + μ)/((1 + 2μ)L) = 0.136",
                 "run=nesterov:lr=0.15,momentum=0.9,label=Nesterov&"
                 "run=momentum:lr=0.15,momentum=0.9,label=Momentum",
                 question=outcome(1),
                 after="Past its limit Nesterov diverges; momentum arrives"),
            Step("Rosenbrock at lr 0.001, 500 steps",
                 "surface=rosenbrock&steps=500&run=nesterov:lr=0.001,momentum=0.9,label=Nesterov&"
                 "run=momentum:lr=0.001,momentum=0.9,label=Momentum",
                 question=which("distance"),
                 after="Nesterov ends 0.09 from (1, 1), momentum 0.15"),
            Step("The ravine, cond=100 at lr 0.019: Nesterov's limit there is 0.0136",
                 "surface=quadratic:cond=100&run=nesterov:lr=0.019,momentum=0.9,label=Nesterov&"
                 "run=momentum:lr=0.019,momentum=0.9,label=Momentum",
                 question=outcome(1),
                 after="Nesterov diverges; momentum arrives"),
        ),
        question=which("arrival", "Which arrives first: Nesterov or momentum?"),
        after="After its first dip momentum's loss climbs back to 23; Nesterov's never rises above 0.21. Momentum "
        "runs 1.0 past the minimum along the valley, Nesterov 0.65. Nesterov arrives by step 14, momentum "
        "only by step 71.",
    ),
    Lesson(
        "adaptive", "AdaGrad, RMSProp, Adam", "adaptive methods",
        "AdaGrad, RMSProp and Adam, all at lr 0.1, on Beale towards the minimum at (3, 0.5). AdaGrad divides "
        "by the root of all past squared gradients, RMSProp by a running average of recent ones; Adam adds "
        "momentum and corrects the averages' start at 0.",
        "surface=beale&steps=400&run=adagrad:lr=0.1,label=AdaGrad&run=rmsprop:lr=0.1,label=RMSProp&"
        "run=adam:lr=0.1,label=Adam",
        (
            Step("AdaGrad at lr 0.5 against lr 0.1, 600 steps",
                 "steps=600&run=adagrad:lr=0.5,label=AdaGrad%2C+lr+0.5&"
                 "run=adagrad:lr=0.1,label=AdaGrad%2C+lr+0.1",
                 question=outcome(1),
                 after="The stall comes later: within 1e-3 by step 519 of 600"),
            Step("RMSProp at lr 0.01 against lr 0.1",
                 "run=rmsprop:lr=0.01,label=RMSProp%2C+lr+0.01&run=rmsprop:lr=0.1,label=RMSProp%2C+lr+0.1",
                 question=which("final_loss"),
                 after="Hops ten times smaller: it arrives by step 375 and stays"),
            Step("Adam with RMSProp's short memory (b2=0.9)",
                 "run=adam:lr=0.1,b2=0.9,label=Adam%2C+b2+0.9&run=rmsprop:lr=0.1,label=RMSProp",
                 question=outcome(1),
                 after="Momentum alone lets it arrive, by step 85, and stay from step 130"),
            Step("Adam without momentum (b1=0), against RMSProp",
                 "run=adam:lr=0.1,b1=0,label=Adam%2C+b1+0&run=rmsprop:lr=0.1,label=RMSProp",
                 question=outcome(1),
                 after="It settles too, by step 284: its long memory shrinks its steps"),
        ),
        question=order("final_loss", "Order them by their loss after 400 steps, lowest first."),
        after="AdaGrad's sum only grows: its steps shrink from 0.14 to 0.001, and it stalls 0.8 short. RMSProp's "
        "steps stay about 0.14 long: it hops 0.16 to 0.23 from the minimum. Adam settles by step 276.",
    ),
    Lesson(
        "adamw", "AdamW: decay decoupled from the step", "adaptive methods",
        "The loss 0.5(x - 2)^2 ignores y: every point of the line x = 2 is a minimum. Adam and AdamW (decay "
        "0.1), both lr 0.05, start at (0.5, 2.5). AdamW takes Adam's step, then shrinks each weight by lr "
        "times the decay: outside Adam's normalisation, not outside the rate.",
        "surface=custom:window=-1,4,-1,4&f=0.5*(x-2)^2&start=0.5,2.5&steps=200&"
        "run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+decay+0.1&run=adam:lr=0.05,label=Adam%2C+no+decay",
        (
            Step("Adam with the decay as an L2 penalty 0.05(x² + y²) in the loss",
                 "f=0.5*(x-2)^2%2B0.05*(x^2%2By^2)&run=adam:lr=0.05,label=Adam+%2B+L2+0.1",
                 question=where(1, 50),
                 after="Inside Adam's normalisation: y is 0.45 at step 50 (AdamW's 1.95); x settles at 1.82"),
            Step("Ten times the loss",
                 "f=5*(x-2)^2&run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+decay+0.1&"
                 "run=adam:lr=0.05,label=Adam%2C+no+decay",
                 question=where(1),
                 after="AdamW's path is unchanged: neither Adam's step nor the decay sees the loss's scale"),
            Step("Ten times the loss, the same L2 penalty",
                 "f=5*(x-2)^2%2B0.05*(x^2%2By^2)&run=adam:lr=0.05,label=Adam+%2B+L2+0.1",
                 question=where(1),
                 after="The loss now outweighs the penalty: x settles at 1.98"),
            Step("AdamW with decay 1",
                 "run=adamw:lr=0.05,weight_decay=1,label=AdamW%2C+decay+1&"
                 "run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+decay+0.1",
                 question=where(1),
                 after="x stays below 1, where the decay beats Adam's step of about lr; y falls to 0"),
            Step("AdamW at twice the rate, lr 0.1",
                 "run=adamw:lr=0.1,weight_decay=0.1,label=AdamW%2C+lr+0.1&"
                 "run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+lr+0.05",
                 question=where(1, 50),
                 after="y now shrinks 1% a step, not 0.5%: the decay is multiplied by the learning rate"),
        ),
        question=where(1, None, "Tap where AdamW ends."),
        after="Adam walks to x = 2 and leaves y at 2.5. AdamW's y shrinks 0.5% a step, from 2.5 to 0.92, while x "
        "ends at 1.93, held back by the decay.",
    ),
    Lesson(
        "normalization", "Normalising the inputs, or adapting the steps", "conditioning",
        "A ravine along the x axis: y's curvature is 100 times x's, as when one input feature has 10 times the "
        "other's scale. Momentum tuned for it, RMSProp and Adam, which divide each coordinate's step by its "
        "gradient scale, and SGD at its best rate.",
        "surface=quadratic:cond=100,angle=0&steps=300&"
        "run=momentum:lr=0.0331,momentum=0.669,label=Momentum%2C+tuned&run=rmsprop:lr=0.01,label=RMSProp&"
        "run=adam:lr=0.05,label=Adam&run=sgd:lr=0.0198,label=SGD%2C+lr+2%2F(L%2B1)",
        (
            Step("The same ravine rotated 30 degrees: across is no longer y",
                 "surface=quadratic:cond=100,angle=30",
                 question=which("arrival"),
                 after="Momentum still arrives, by step 72; no other run does. Scaling x and y cannot undo a rotation"),
            Step("cond=1: the axis-aligned ravine with y scaled by 10, SGD at lr 1",
                 "surface=quadratic:cond=1,angle=0&run=sgd:lr=1,label=SGD%2C+lr+1",
                 question=where(1, 1, "Tap where SGD will be after one step."),
                 after="Normalised, the ravine is round: one step of lr 1 = 1/L lands on the minimum"),
            Step("A network on the circles whose first input feature is 10 times too large (scale=10)",
                 "surface=mlp:data=circles,scale=10&steps=250&"
                 "run=momentum:lr=0.05,momentum=0.9,label=Momentum&run=rmsprop:lr=0.01,label=RMSProp&"
                 "run=adam:lr=0.03,label=Adam&run=sgd:lr=0.5,label=SGD",
                 question=which("test_accuracy"),
                 after="SGD bounces: 69% test. Momentum 94%. Adam and RMSProp scale each weight's step: 99%, 96.5%"),
            Step("The same network, normalised inputs (scale=1)",
                 "surface=mlp:data=circles&steps=250&"
                 "run=momentum:lr=0.05,momentum=0.9,label=Momentum&run=rmsprop:lr=0.01,label=RMSProp&"
                 "run=adam:lr=0.03,label=Adam&run=sgd:lr=0.5,label=SGD",
                 question=which("final_loss"),
                 after="Every run ends at 97.5% test or more"),
        ),
        question=order("arrival", "Order them by when they arrive, first first."),
        after="Momentum arrives by step 67, Adam by 92, SGD by 279. RMSProp's steps stay about lr long: it hops "
        "around the minimum, never arriving.",
    ),
    Lesson(
        "starts", "Where a run starts", "the landscape",
        "Himmelblau has four minima, all at f = 0. Four SGD runs (lr 0.01) start within 0.6 of each other, "
        "around the peak near (-0.27, -0.92). The map beside the paths (explore=starts) colours every start "
        "in the window by the minimum its run ends in.",
        "surface=himmelblau&steps=300&run=sgd:lr=0.01,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)&"
        "run=sgd:lr=0.01,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)&"
        "run=sgd:lr=0.01,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)&"
        "run=sgd:lr=0.01,x0=0,y0=-1,label=from+(0%2C+-1)&explore=starts:n=64",
        (
            Step("Momentum 0.9 (lr 0.005) from the same four starts",
                 "run=momentum:lr=0.005,momentum=0.9,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)&"
                 "run=momentum:lr=0.005,momentum=0.9,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)&"
                 "run=momentum:lr=0.005,momentum=0.9,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)&"
                 "run=momentum:lr=0.005,momentum=0.9,x0=0,y0=-1,label=from+(0%2C+-1)",
                 question=where(4),
                 after="The same four ends, but nearly a quarter of all starts end elsewhere"),
            Step("Adam (lr 0.1) from the same four starts",
                 "run=adam:lr=0.1,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)&"
                 "run=adam:lr=0.1,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)&"
                 "run=adam:lr=0.1,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)&"
                 "run=adam:lr=0.1,x0=0,y0=-1,label=from+(0%2C+-1)",
                 question=where(4),
                 after="From (0, -1) it now ends in (3, 2): the optimizer moves the borders too"),
            Step("The saddle surface, with a minimum above y = 0 and one below",
                 "surface=saddle&steps=200&run=sgd:lr=0.05,label=SGD",
                 question=where(1),
                 after="Starts above y = 0 end in the top minimum, those below in the bottom"),
            Step("Start on the border y = 0 itself, and 0.001 above it",
                 "surface=saddle&steps=200&run=sgd:lr=0.05,y0=0,label=from+(1.8%2C+0)&"
                 "run=sgd:lr=0.05,label=from+(1.8%2C+0.001)",
                 question=where(1),
                 after="Nothing pushes SGD off the border: it stops on the saddle"),
        ),
        question=where(4, None, "Tap where the run from (0, -1) ends."),
        after="They end in four different minima. The map has four basins, whose borders meet at the peak and pass "
        "through the four saddles.",
    ),
    Lesson(
        "clipping", "Clipping at the cliff", "exploding gradients",
        "A wall 50 high, its gradient up to about 250, ends a plateau. Three SGD runs (lr 0.1) start there: "
        "unclipped, clipped to norm 1, and to 1 by value.",
        "surface=cliff&steps=300&run=sgd:lr=0.1,label=no+clipping&"
        "run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1&run=sgd:lr=0.1,clip_value=1,label=clip+value+1",
        (
            Step("Clip norm 10 against clip norm 1",
                 "run=sgd:lr=0.1,clip_norm=10,label=clip+norm+10&run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1",
                 question=which("arrival"),
                 after="Only the step on the face is clipped: it arrives sooner, by step 92"),
            Step("lr 0.01, unclipped, against clip norm 1 at lr 0.1",
                 "run=sgd:lr=0.01,label=lr+0.01%2C+no+clipping&run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1",
                 question=outcome(1),
                 after="The wall no longer throws it out, but 300 steps are not enough"),
            Step("Adam (lr 0.1), unclipped, against SGD clipped to norm 1",
                 "run=adam:lr=0.1,label=Adam&run=sgd:lr=0.1,clip_norm=1,label=SGD%2C+clip+norm+1",
                 question=which("arrival"),
                 after="Adam's steps ignore the gradient's size: it stays in the window, but slow"),
            Step("The same three runs in 3D: the plateau, the wall and the valley below it",
                 "view=3d",
                 question=where(3, 60)),
            Step("Two ReLU layers with weights of std 5: the first gradient is 66. SGD at lr 0.3",
                 "surface=mlp:data=circles,init=large,act=relu,layers=2&steps=250&"
                 "run=sgd:lr=0.3,label=no+clipping&run=sgd:lr=0.3,clip_norm=1,label=clip+norm+1",
                 question=which("test_accuracy"),
                 after="Unclipped, 20-unit steps switch 21 of 32 ReLU units off for good: 57.5% test; clipped, 97.5%"),
        ),
        question=outcome(1, "The unclipped run hits the wall: what will it do in 300 steps?"),
        after="Unclipped, one 24-unit step throws it off the map at step 10; it arrives by step 279. Norm 1 caps "
        "steps at 0.1, keeping their direction: it walks down, arriving by step 132. By value, only x's "
        "gradient is cut: the step turns to the valley, arriving by 131.",
    ),
    Lesson(
        "noise", "Noise, and a rate that settles it", "noise",
        "Gradient noise stands in for minibatches: the true gradient plus Gaussian noise of std 3. A cloud is 64 "
        "copies of SGD at lr 0.05, each with its own noise: their median path and the box holding the middle "
        "80%. One cloud's rate decays to 0 (cosine); one run is noiseless.",
        "surface=quadratic:cond=10&steps=300&run=sgd:lr=0.05,noise=3,seeds=64,label=noise+3&"
        "run=sgd:lr=0.05,schedule=cosine,noise=3,seeds=64,label=noise+3%2C+cosine+decay&"
        "run=sgd:lr=0.05,label=no+noise&autoplay=1",
        (
            Step("Half the rate, lr 0.025",
                 "run=sgd:lr=0.05,noise=3,seeds=64,label=lr+0.05&run=sgd:lr=0.025,noise=3,seeds=64,label=lr+0.025",
                 question=which("final_loss"),
                 after="The cloud narrows, 1.3 to 0.94 wide, and its loss halves"),
            Step("Half the noise, std 1.5: what a batch four times larger does to it",
                 "run=sgd:lr=0.05,noise=3,seeds=64,label=noise+3&run=sgd:lr=0.05,noise=1.5,seeds=64,label=noise+1.5",
                 question=which("final_loss"),
                 after="The larger batch halves the cloud's width and quarters its loss"),
            Step("Momentum 0.9 at lr 0.005: the same effective rate lr/(1 \u2212 \u03bc) = 0.05 as SGD",
                 "run=sgd:lr=0.05,noise=3,seeds=64,label=SGD+lr+0.05&"
                 "run=momentum:lr=0.005,momentum=0.9,noise=3,seeds=64,label=Momentum+lr+0.005",
                 question=where(2),
                 after="Alike: 1.25 and 1.31 wide. Momentum at lr 0.05 takes tenfold steps: a cloud three times "
                 "wider"),
            Step("Exponential decay (gamma 0.99): the rate ends at 5% of 0.05",
                 "run=sgd:lr=0.05,schedule=exponential,gamma=0.99,noise=3,seeds=64,label=exponential+decay&"
                 "run=sgd:lr=0.05,schedule=cosine,noise=3,seeds=64,label=cosine+decay",
                 question=which("final_loss"),
                 after="It settles like cosine: its cloud ends 0.50 wide, cosine's 0.64"),
        ),
        question=which("final_loss"),
        after="Without noise SGD arrives by step 71. The constant cloud never settles, 1.4 wide at the end; the "
        "cosine cloud ends half as wide, its loss 0.03 against 0.14.",
    ),
    Lesson(
        "newton", "Newton: curvature", "curvature",
        "Newton divides the gradient by the curvature, the exact Hessian; SGD and momentum see only the "
        "slope. On this cond=50 bowl: Newton at lr 1, SGD at its best rate 2/(L + 1) = 0.039, momentum tuned "
        "for cond=50.",
        "surface=quadratic:cond=50&steps=150&run=newton:lr=1,label=Newton&"
        "run=momentum:lr=0.0614,momentum=0.566,label=Momentum%2C+tuned&run=sgd:lr=0.039,label=SGD%2C+lr+0.039",
        (
            Step("Half a Newton step (lr 0.5) against a full one",
                 "run=newton:lr=0.5,label=Newton%2C+lr+0.5&run=newton:lr=1,label=Newton%2C+lr+1",
                 question=where(1, 1, "Tap where half a Newton step lands."),
                 after="The distance to the minimum halves with every step"),
            Step("Rosenbrock: Newton, SGD and Adam, 100 steps",
                 "surface=rosenbrock&steps=100&run=newton:lr=1,label=Newton&run=sgd:lr=0.001,label=SGD&"
                 "run=adam:lr=0.05,label=Adam",
                 question=which("distance"),
                 after="Newton reaches (1, 1) in 5 steps, after a jump uphill; SGD and Adam do not"),
            Step("The saddle surface: Newton against SGD",
                 "surface=saddle&steps=150&run=newton:lr=1,label=Newton&run=sgd:lr=0.05,label=SGD",
                 question=where(1),
                 after="Newton jumps onto the saddle point and stays; SGD rolls off to a minimum"),
            Step("Newton with damping 3 on the saddle, whose curvature there is -2",
                 "surface=saddle&steps=150&run=newton:lr=1,damping=3,label=Newton%2C+damping+3&"
                 "run=newton:lr=1,label=Newton",
                 question=outcome(1),
                 after="Damping outweighs the curvature: steps go downhill, arriving by step 11"),
            Step("Himmelblau: Newton against SGD",
                 "surface=himmelblau&steps=150&run=newton:lr=1,label=Newton&run=sgd:lr=0.01,label=SGD",
                 question=where(1),
                 after="Newton climbs to the local maximum (-0.27, -0.92) and stays; SGD rolls down"),
        ),
        question=order("arrival"),
        after="One Newton step of lr 1 lands on the minimum. SGD arrives by step 117, momentum by step 35. The "
        "price: an n x n Hessian for n weights. And Newton heads for any point where the gradient vanishes "
        "(steps 3 and 5).",
    ),
    Lesson(
        "edge-of-stability", "The edge of stability", "dynamics",
        "Full-batch gradient descent on the moons network at lr 4. On a quadratic it is stable only while the "
        "sharpness, the loss's steepest curvature, stays under 2/lr = 0.5: the dashed line of the sharpness "
        "panel. Watch the sharpness and the loss.",
        "surface=mlp:data=moons&steps=600&run=sgd:lr=4,label=GD+lr+4",
        (
            Step("Half the rate, lr 2: the line doubles to 2/lr = 1",
                 "run=sgd:lr=2,label=GD+lr+2&run=sgd:lr=4,label=GD+lr+4",
                 question=where(1),
                 after="The plateau nearly doubles, 0.57 to 1.06: it follows 2/lr"),
            Step("A quarter of the rate, lr 1: the line rises to 2/lr = 2",
                 "run=sgd:lr=1,label=GD+lr+1",
                 question=diverges(1),
                 after="Below the edge: the sharpness reaches only 1.18 in 600 steps, and the loss falls at every step"),
            Step("Adam at lr 0.03: its preconditioned sharpness against the dashed 38/lr = 1267",
                 "run=adam:lr=0.03,label=Adam&run=sgd:lr=4,label=GD+lr+4",
                 question=which("final_loss"),
                 after="Adam's edge: it climbs from 101 to near 38/lr, 1123 on average from step 300"),
            Step("A bowl with 2/L = 0.2: lr 0.02 and 0.19 beside their gradient flow",
                 "surface=quadratic:cond=10&start=-2.6,1.2&steps=60&run=sgd:lr=0.02,label=lr+0.02&"
                 "run=sgd:lr=0.19,label=lr+0.19&flow=1",
                 question=outcome(2),
                 after="lr 0.02 hugs its flow; lr 0.19, near 2/L, leaves it at step 1, arriving by step 49"),
        ),
        question=diverges(1, "The sharpness will pass 2/lr = 0.5. Will the run diverge?"),
        after="It never diverges. The sharpness falls to 0.27, climbs to the line by step 80 and holds near it, "
        "swinging from step to step; the loss rises every other step yet falls, 0.138 at step 300 to 0.120.",
    ),
    Lesson(
        "fair-race", "A fair race: what tuning costs", "dynamics",
        "Adam, momentum and SGD on Rosenbrock, 300 steps, each at the same 32 learning rates drawn at random "
        "from 0.00001 to 10. Each run plays at its best rate; the panel draws each one's best final loss "
        "expected after k trials.",
        "surface=rosenbrock&start=-1.5,2&steps=300&run=adam:lr=0.05,label=Adam&"
        "run=momentum:lr=0.001,momentum=0.9,label=Momentum&run=sgd:lr=0.001,label=SGD&explore=race",
        (
            Step("Only 8 trials each, the same first 8 rates",
                 "explore=race:budget=8",
                 question=which("final_loss"),
                 after="Adam ends lowest: 0.036 against momentum's 0.077"),
            Step("Tune every value, not only the rate: 32 trials of lr, momentum, b1, b2 and eps",
                 "explore=race:keys=all",
                 question=which("final_loss"),
                 after="Adam ends lowest, 0.011: more values to search in 32 trials cost momentum most (0.28)"),
            Step("Beale's function, the same race",
                 "surface=beale&start=1,1.5",
                 question=which("final_loss"),
                 after="Adam leads at every budget here"),
            Step("500 steps instead of 300",
                 "steps=500",
                 question=which("final_loss"),
                 after="Momentum ends lowest again, but overtakes Adam only from 27 trials"),
        ),
        question=which("final_loss", "At its best of 32 rates, which ends lowest?"),
        after="Momentum, just: 0.00066 against Adam's 0.0015. But Adam leads whenever fewer than 20 trials are "
        "paid for, and none of its rates diverges; 21 of momentum's do.",
    ),

)

# The real model (surface=mlp, docs/model.md). Its surface keys (init, act,
# pretrain, freeze, labels) belong to the scene, not to a run: every run of a
# scene trains the same network from the same weights. So most lessons' runs
# are the same three optimizers, and their steps change the network or the
# data; a step's `surface=` replaces every surface key, so it names them all.
# Adam is run 1: the plane is its path's, the one that gets furthest.
_TRIO = "&run=adam:lr=0.03,label=Adam&run=sgd:lr=0.5,label=SGD&run=momentum:lr=0.05,momentum=0.9,label=Momentum"
# Without and with the unlabelled points (both Adam, lr 0.03).
_UNLABELED = "&run=adam:lr=0.03,label=labels+only&run=adam:lr=0.03,unlabeled=selftrain,label=self-training"
# Freeze the features, then fine-tune everything at a tenth of the rate from step 100.
_THEN_TENTH = ("&run=adam:lr=0.03,schedule=step,step_size=100,gamma=0.1,label=Adam"
               "&run=sgd:lr=0.5,schedule=step,step_size=100,gamma=0.1,label=SGD"
               "&run=momentum:lr=0.05,momentum=0.9,schedule=step,step_size=100,gamma=0.1,label=Momentum")
_MODEL_ENTRIES: tuple[Lesson, ...] = (
    Lesson(
        "initialization", "Initialization: breaking the symmetry", "the real model",
        "Every weight starts at 0.2 and every bias at 0, so the 16 tanh hidden units of this network start "
        "identical: each computes the same thing from the two inputs and reaches the output through the "
        "same weight. Adam, SGD and momentum train it on the circles.",
        "surface=mlp:data=circles,init=constant&steps=250" + _TRIO,
        (
            Step("Every weight and bias 0 instead",
                 "surface=mlp:data=circles,init=zeros",
                 question=where(1, None, "Tap where Adam ends."),
                 after="Nothing moves: tanh(0) = 0, and every gradient is exactly 0"),
            Step("Xavier's random weights, std √(2/(fan_in + fan_out))",
                 "surface=mlp:data=circles,init=xavier",
                 question=which("final_loss"),
                 after="The tie is broken: Adam passes 95% test accuracy by step 38"),
            Step("ReLU units, with Xavier's weights",
                 "surface=mlp:data=circles,init=xavier,act=relu",
                 question=which("final_loss"),
                 after="SGD passes 95% test by step 48"),
            Step("ReLU units with He's weights, std √(2/fan_in), made for ReLU",
                 "surface=mlp:data=circles,init=he,act=relu",
                 question=which("final_loss"),
                 after="One change, He for Xavier: SGD passes 95% test by step 30, not 48"),
            Step("Tanh units with weights of std 5",
                 "surface=mlp:data=circles,init=large",
                 question=which("test_accuracy"),
                 after="Most units start saturated; the loss starts at 9.2, and every run ends below 95% test"),
        ),
        question=number("distinct_units", 1, "The 16 hidden units start identical. How many different ones will "
                        "Adam's network have after 250 steps?"),
        after="One. Identical units get identical gradients, so every optimizer moves them in lockstep. One "
        "tanh unit cannot draw a ring: every run ends at loss ln 2 = 0.693, 44.5% test.",
    ),
    Lesson(
        "activations", "Activations: a gradient through two layers", "the real model",
        "Two hidden layers of 16 sigmoid units, Xavier's weights, on the circles. A gradient reaches the "
        "first layer only through the second, times each unit's slope: at most 1/4 for sigmoid, 1 for tanh "
        "and ReLU.",
        "surface=mlp:data=circles,act=sigmoid,layers=2&steps=250" + _TRIO,
        (
            Step("Tanh instead of sigmoid",
                 "surface=mlp:data=circles,act=tanh,layers=2",
                 question=which("final_loss"),
                 after="The first layer's gradient starts twice the output layer's; SGD passes 95% test by step 62"),
            Step("ReLU, with He's weights",
                 "surface=mlp:data=circles,act=relu,init=he,layers=2",
                 question=which("final_loss"),
                 after="The first layer's gradient starts 0.6 times the output's; SGD passes 95% test by step 16"),
            Step("GELU, with Xavier's weights",
                 "surface=mlp:data=circles,act=gelu,layers=2",
                 question=which("final_loss"),
                 after="The first layer's gradient starts 1.7 times the output's; SGD passes 95% test by step 31"),
            Step("One sigmoid layer: no depth to vanish through",
                 "surface=mlp:data=circles,act=sigmoid",
                 question=which("test_accuracy"),
                 after="SGD still stops at ln 2 with P = 1/2 everywhere: a collapsed output, not a vanished gradient"),
        ),
        question=which("test_accuracy"),
        after="The first layer's gradient starts 16 times smaller than the output layer's. SGD and momentum stop "
        "at loss ln 2 = 0.693: their output is 1/2 everywhere. Adam divides each step by its gradient's size: "
        "99% test.",
    ),
    Lesson(
        "labels", "Few labels: the price on the test split", "the real model",
        "Only 10 of the 200 training points keep their labels; grey points are not in the loss. Adam, SGD and "
        "momentum train on those 10 and are scored on 200 test points.",
        "surface=mlp:data=circles,labels=0.05&steps=250" + _TRIO,
        (
            Step("20 labels (10 per class)",
                 "surface=mlp:data=circles,labels=0.1",
                 question=which("final_loss"),
                 after="Every run ends at 97% test accuracy"),
            Step("All 200 labels",
                 "surface=mlp:data=circles",
                 question=which("final_loss"),
                 after="97.5% to 99% test, little more than 20 labels gave"),
            Step("Spirals, 20 labels",
                 "surface=mlp:data=spirals,labels=0.1",
                 question=which("final_loss"),
                 after="Adam fits them by step 68; its test accuracy peaks at 79% and ends at 72.5%"),
            Step("The unlabelled points put to use: the next lesson",
                 "lesson=unlabeled"),
        ),
        question=which("final_loss", "Which run ends with the lowest training loss on its 10 labels?"),
        after="Each fits the 10 labels, Adam by step 26, SGD by 68, momentum by 90, yet each ends at 74.5% test: "
        "10 points do not pin the ring down. On Adam's plane the others end 6 to 7 units away: other weights "
        "fit the same 10.",
    ),
    Lesson(
        "unlabeled", "Unlabelled data: self-training and the cluster assumption", "the real model",
        "The four xor clusters, with a gap between them; 10 of the 200 training points keep their labels. One "
        "run ignores the other 190. The other self-trains: each point it predicts with 90% confidence is "
        "trained on as if labelled so, step after step.",
        "surface=mlp:data=xor,labels=0.05&steps=250" + _UNLABELED,
        (
            Step("All 200 labels: what the unlabelled points could be worth",
                 "surface=mlp:data=xor&run=adam:lr=0.03,label=all+labels",
                 question=number("test_accuracy", 1),
                 after="100% test: self-training closed 6 of the 7 points between 10 labels and 200"),
            Step("Entropy minimisation instead, at weight 0.3 and at 1",
                 "run=adam:lr=0.03,unlabeled=entropy,weight=0.3,label=weight+0.3"
                 "&run=adam:lr=0.03,unlabeled=entropy,label=weight+1",
                 question=which("test_accuracy"),
                 after="At weight 1 it grows confident too soon: 38 of its 189 pseudo-labels end wrong, 83.5% test"),
            Step("The circles, 4 labels: the first boundary cuts the rings",
                 "surface=mlp:data=circles,labels=0.02",
                 question=which("test_accuracy"),
                 after="Self-training confirms its mistakes: 42% of its pseudo-labels are wrong, test falls to 61.5%"),
            Step("Two overlapping blobs, 4 labels: no gap between the classes",
                 "surface=mlp:data=blobs,labels=0.02",
                 question=number("pseudo_label_accuracy", 2, "What share of self-training's pseudo-labels will be "
                                 "right?"),
                 after="Where the blobs overlap its pseudo-labels are wrong: no gain, 92.5% test against 93.5%"),
        ),
        question=which("test_accuracy", "Which run ends with the best test accuracy?"),
        after="Labels only: 93% test. Self-training pseudo-labels 181 of the 190 points, all rightly, and reaches "
        "99%: its boundary moves into the gaps, where no points are. That is the cluster assumption.",
    ),
    Lesson(
        "transfer", "Transfer: a pretrained start", "the real model",
        "Every run starts from a network first trained on xor (500 Adam steps, all 200 labels), and only its "
        "output layer, 17 of 65 weights, trains here, on the labels lesson's 10 labels. That layer still "
        "answers xor.",
        "surface=mlp:data=circles,labels=0.05,pretrain=xor,freeze=1&steps=250" + _TRIO,
        (
            Step("Fine-tuning every weight from the start",
                 "surface=mlp:data=circles,labels=0.05,pretrain=xor",
                 question=which("final_loss"),
                 after="70% to 71.5% test, below scratch: fitting 10 labels moves xor's hidden weights by half their size"),
            Step("From scratch, the labels lesson's scene",
                 "surface=mlp:data=circles,labels=0.05",
                 question=which("final_loss"),
                 after="100% training, 74.5% test for every run"),
            Step("Frozen for 100 steps, then every weight at a tenth of the rate",
                 "surface=mlp:data=circles,labels=0.05,pretrain=xor,freeze=1,unfreeze=100" + _THEN_TENTH,
                 question=number("test_accuracy", 1, "What test accuracy (in %) will Adam end at?"),
                 after="SGD and momentum keep xor's features: 87.5% and 88.5%. Adam's first steps on them are lr "
                       "long: 76.5%"),
            Step("Pretrained on the spirals instead, frozen",
                 "surface=mlp:data=circles,labels=0.05,pretrain=spirals,freeze=1",
                 question=which("test_accuracy"),
                 after="Negative transfer: the spirals' features serve the ring worse than none, 67% to 68.5%"),
        ),
        question=which("test_accuracy"),
        after="The frozen hidden units are features xor's labels paid for: every run ends at 84% to 88% test, "
        "where from scratch all end at 74.5% (step 2).",
    ),
)

LESSONS: dict[str, Lesson] = registry(_ENTRIES + _MODEL_ENTRIES, "lesson")

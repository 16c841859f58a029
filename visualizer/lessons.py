"""Lessons: a title, a few sentences on what to look at, a scene, and three
to five "try this" steps, each a scene of its own with one line on what it
shows. Lessons are data: the page, the CLI (`python -m visualizer lessons`)
and the address (`lesson=<id>`) render any entry, and tests/test_lessons.py
checks every claim a lesson makes against the engine.

A scene is a query as in a link (labels percent-encoded: `+` is a space,
`%2C` a comma, `%2B` a plus). A step's scene holds the keys given beside
`lesson=<id>`: they override the lesson's scene, and runs given there
replace all of the lesson's runs; a step whose scene starts with `lesson=`
opens that lesson instead (`Lesson.step_query` gives the full query).
"""

from __future__ import annotations

from dataclasses import dataclass

from visualizer.knobs import registry


@dataclass(frozen=True)
class Step:
    line: str  # what it changes and what to expect, one line
    scene: str  # the scene it opens (a query; keys beside `lesson=` override the lesson's scene)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    topic: str
    text: str  # three to six sentences on what to look at
    scene: str  # the lesson's own scene (a query)
    steps: tuple[Step, ...]

    def step_query(self, index: int) -> str:
        """The whole query that opens step `index`: its keys beside this
        lesson's id, or the step's own query when it opens a lesson."""
        query = self.steps[index].scene
        return query if query.startswith("lesson=") else f"lesson={self.id}&{query}"

    def describe(self) -> dict:
        return {"id": self.id, "title": self.title, "topic": self.topic, "text": self.text, "scene": self.scene,
                "steps": [{"line": s.line, "scene": s.scene} for s in self.steps]}


# The bowl most lessons share: surface=quadratic, curvature 1 along the
# valley and `cond` across it (so L = cond), rotated 30 degrees, from its
# default start (-2.6, 1.2).
_ENTRIES: tuple[Lesson, ...] = (
    Lesson(
        "learning-rate", "The learning rate", "step size",
        "Four SGD runs on a bowl whose steep axis has curvature L = 10: gradient descent is stable only for "
        "lr < 2/L = 0.2. lr 0.01 crawls: when lr 0.1 arrives it is still 1.2 from the minimum, and after 100 "
        "steps 0.6. lr 0.1 = 1/L removes the steep direction in its first step and arrives within 1e-3 of the "
        "minimum by step 35. lr 0.19, just below 2/L, zig-zags across the valley on every step, each swing 10% "
        "smaller than the last, and arrives by step 49. lr 0.22, just above, swings 20% wider every step: it "
        "leaves the window at once and diverges at step 71.",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.01,label=lr+0.01+(too+low)"
        "&run=sgd:lr=0.1,label=lr+0.1+(1/L)&run=sgd:lr=0.19,label=lr+0.19+(just+below+2/L)"
        "&run=sgd:lr=0.22,label=lr+0.22+(just+above+2/L)",
        (
            Step("lr 0.19 against 0.21, either side of 2/L = 0.2: one zig-zag shrinks, the other grows",
                 "run=sgd:lr=0.19,label=lr+0.19&run=sgd:lr=0.21,label=lr+0.21"),
            Step("A round bowl (cond=1): L = 1, so lr 1 = 1/L lands on the minimum in one step, and even lr 1.9 converges",
                 "surface=quadratic:cond=1&run=sgd:lr=1,label=lr+1+(1/L)&run=sgd:lr=1.9,label=lr+1.9"),
            Step("A narrow valley (cond=100): 2/L = 0.02; lr 0.019 is stable but still 0.24 away after 100 steps, "
                 "lr 0.022 diverges",
                 "surface=quadratic:cond=100&run=sgd:lr=0.019,label=lr+0.019&run=sgd:lr=0.022,label=lr+0.022"),
            Step("Every rate from 0.001 to 1 at once: the next lesson", "lesson=lr-sensitivity"),
        ),
    ),
    Lesson(
        "lr-sensitivity", "Final loss against the learning rate", "step size",
        "The curve beside the paths is the loss after 100 SGD steps on the cond=10 bowl (it starts at 28.7), for "
        "128 learning rates from 0.001 to 1 (explore=lr). From the left it falls all the way to its floor: lr "
        "0.001 still ends at 4.8. The floor is near lr 0.18 = "
        "2/(L + 1), where the steep and the shallow axis shrink equally fast. Right after it comes the cliff: from "
        "2/L = 0.2 on, every rate ends higher than it started, so the best rate sits less than 20% below the "
        "first one that blows up. The three paths are one rate from each part: 0.01 on the slope, 0.18 on the "
        "floor, 0.25 over the cliff.",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.18,label=lr+0.18+(the+floor)"
        "&run=sgd:lr=0.01,label=lr+0.01+(the+slope)&run=sgd:lr=0.25,label=lr+0.25+(over+the+cliff)"
        "&explore=lr:lo=0.001,hi=1,n=128",
        (
            Step("Momentum 0.9: the cliff moves out to 2(1 + 0.9)/L = 0.38, but the floor is far shallower "
                 "than SGD's",
                 "run=momentum:lr=0.1,momentum=0.9,label=Momentum+0.9"),
            Step("A narrower valley (cond=100): the cliff moves in to 2/L = 0.02, and no rate gets within 1e-3 "
                 "in 100 steps",
                 "surface=quadratic:cond=100&run=sgd:lr=0.019,label=SGD"),
            Step("Adam: no cliff up to lr 1, since its steps are about lr long whatever the gradient; no floor "
                 "as deep as SGD's either",
                 "run=adam:lr=0.1,label=Adam"),
            Step("300 steps instead of 100: the floor deepens, the cliff stays at 2/L = 0.2", "steps=300"),
        ),
    ),
    Lesson(
        "schedules", "Schedules: a rate too high, tamed", "step size",
        "Four SGD runs at lr 0.22 on the cond=10 bowl, just above the stable limit 2/L = 0.2; only their "
        "schedules differ (the learning-rate curve shows them). At a constant rate the zig-zag across the valley "
        "grows 20% a step, and the run diverges at step 71. Step decay halves the rate every 10 steps: the "
        "zig-zag flies 14 units out before the first halving tames it, and the run arrives within 1e-3 by step "
        "20. Cosine decay is below 0.2 only from step 20 on, so it flies further out (28 units) and arrives by "
        "step 42. Warm-up + cosine climbs from 0 over 20 steps, so the steep direction has settled before the "
        "rate passes 0.2: it never leaves the window, and arrives by step 26.",
        "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.22,label=constant"
        "&run=sgd:lr=0.22,schedule=step,step_size=10,gamma=0.5,label=step+decay"
        "&run=sgd:lr=0.22,schedule=cosine,label=cosine"
        "&run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine",
        (
            Step("Cosine only down to 95% (min_ratio=0.95): the rate never falls below 0.209, above 2/L, and the "
                 "run diverges like the constant one",
                 "run=sgd:lr=0.22,label=constant&run=sgd:lr=0.22,schedule=cosine,min_ratio=0.95,"
                 "label=cosine+to+95%25"),
            Step("Warm-up without the decay (min_ratio=1): it comes within 1e-3 of the minimum, then the zig-zag "
                 "grows back and throws it out",
                 "steps=150&run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine"
                 "&run=sgd:lr=0.22,schedule=warmup_cosine,warmup=20,min_ratio=1,label=warm-up+only"),
            Step("lr 0.3: the constant and the cosine runs diverge; step decay and warm-up + cosine still arrive, "
                 "after flying far out",
                 "run=sgd:lr=0.3,label=constant&run=sgd:lr=0.3,schedule=step,step_size=10,gamma=0.5,"
                 "label=step+decay&run=sgd:lr=0.3,schedule=cosine,label=cosine"
                 "&run=sgd:lr=0.3,schedule=warmup_cosine,warmup=20,label=warm-up+%2B+cosine"),
            Step("Exponential decay (gamma 0.97): the rate is below 2/L from step 4 on, and the run arrives by "
                 "step 20",
                 "run=sgd:lr=0.22,label=constant&run=sgd:lr=0.22,schedule=exponential,gamma=0.97,"
                 "label=exponential+0.97"),
        ),
    ),
    Lesson(
        "momentum", "Momentum through a ravine", "momentum",
        "A ravine: at cond=100 the bowl is a hundred times steeper across the valley than along it, so SGD must "
        "keep lr below 2/L = 0.02. At lr 0.019 SGD crosses the valley floor on every one of its 150 steps, while "
        "along the floor each step covers only 1.9% of the remaining way: it ends at loss 0.004, still 0.09 from "
        "the minimum. Momentum 0.9 at the same rate keeps 90% of its last step: the swings across the valley "
        "partly cancel (it crosses the floor half as often) while the push along the floor builds up, and it ends "
        "a hundred times lower, at loss 4e-5. Its price is visible too: it runs past the minimum along the floor "
        "and back, six times, before it settles.",
        "surface=quadratic:cond=100&steps=150&run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9%2C+lr+0.019"
        "&run=sgd:lr=0.019,label=SGD%2C+lr+0.019",
        (
            Step("Momentum 0.99: too much memory; it swings around the minimum all run long and ends worse than SGD",
                 "run=momentum:lr=0.019,momentum=0.99,label=Momentum+0.99&run=sgd:lr=0.019,label=SGD"),
            Step("Momentum 0.5: no overshoot along the floor, and it arrives first, by step 91",
                 "run=momentum:lr=0.019,momentum=0.5,label=Momentum+0.5"
                 "&run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9&run=sgd:lr=0.019,label=SGD"),
            Step("The best pair for cond=100 in theory, lr 0.033 with momentum 0.67: it arrives by step 72",
                 "run=momentum:lr=0.0331,momentum=0.669,label=Momentum+0.67%2C+lr+0.033"
                 "&run=momentum:lr=0.019,momentum=0.9,label=Momentum+0.9%2C+lr+0.019"),
            Step("A mild valley (cond=10) at lr 0.18: SGD arrives by step 24, momentum 0.9 only by step 102",
                 "surface=quadratic:cond=10&run=momentum:lr=0.18,momentum=0.9,label=Momentum+0.9"
                 "&run=sgd:lr=0.18,label=SGD"),
        ),
    ),
    Lesson(
        "nesterov", "Nesterov's look-ahead", "momentum",
        "Momentum and Nesterov with the same lr 0.1 and momentum 0.9 on the cond=10 bowl. Nesterov steps along "
        "the gradient plus momentum times its new velocity: it looks ahead to where the velocity is taking it, and "
        "brakes sooner when the slope turns. After its first dip, momentum's loss climbs back to 23 as it swings "
        "across the valley; Nesterov's never rises above 0.21. Along the valley, momentum runs 1.0 past the "
        "minimum, Nesterov 0.65. Nesterov arrives within 1e-3 by step 32, momentum only by step 100.",
        "surface=quadratic:cond=10&steps=150&run=nesterov:lr=0.1,momentum=0.9,label=Nesterov"
        "&run=momentum:lr=0.1,momentum=0.9,label=Momentum",
        (
            Step("Momentum 0.99 for both: momentum still swings at step 150, Nesterov arrives by step 60",
                 "run=nesterov:lr=0.1,momentum=0.99,label=Nesterov+0.99&run=momentum:lr=0.1,momentum=0.99,"
                 "label=Momentum+0.99"),
            Step("lr 0.15, past Nesterov's limit 2(1 + μ)/((1 + 2μ)L) = 0.136: momentum still arrives, "
                 "Nesterov diverges",
                 "run=nesterov:lr=0.15,momentum=0.9,label=Nesterov&run=momentum:lr=0.15,momentum=0.9,"
                 "label=Momentum"),
            Step("Rosenbrock at lr 0.001: after 500 steps Nesterov is 0.09 from (1, 1), momentum 0.15",
                 "surface=rosenbrock&steps=500&run=nesterov:lr=0.001,momentum=0.9,label=Nesterov"
                 "&run=momentum:lr=0.001,momentum=0.9,label=Momentum"),
            Step("The momentum lesson's ravine (cond=100, lr 0.019): past Nesterov's limit there, 0.0136, it "
                 "diverges where momentum arrives",
                 "surface=quadratic:cond=100&run=nesterov:lr=0.019,momentum=0.9,label=Nesterov"
                 "&run=momentum:lr=0.019,momentum=0.9,label=Momentum"),
        ),
    ),
    Lesson(
        "adaptive", "AdaGrad, RMSProp, Adam", "adaptive methods",
        "AdaGrad, RMSProp and Adam at the same lr 0.1 on Beale, from (1, 1.5) towards the minimum at (3, 0.5). "
        "AdaGrad divides each coordinate's step by the root of all its squared gradients so far; that sum only "
        "grows, so its steps shrink from 0.14 to 0.001 and it stalls 0.8 short of the minimum. RMSProp divides by "
        "a running average of recent squared gradients instead, so its steps stay about 0.14 long: it is within "
        "0.2 of the minimum by step 67, then hops around it, 0.16 to 0.23 away, and never settles. Adam adds momentum and corrects "
        "both running averages for their start at zero (its first step is 0.14 long, RMSProp's 0.45): it "
        "settles within 1e-3 of the minimum by step 276.",
        "surface=beale&steps=400&run=adagrad:lr=0.1,label=AdaGrad&run=rmsprop:lr=0.1,label=RMSProp"
        "&run=adam:lr=0.1,label=Adam",
        (
            Step("AdaGrad at lr 0.5: the stall comes later; it gets within 1e-3 by step 519 of 600",
                 "steps=600&run=adagrad:lr=0.5,label=AdaGrad%2C+lr+0.5&run=adagrad:lr=0.1,label=AdaGrad%2C+lr+0.1"),
            Step("RMSProp at lr 0.01: hops ten times smaller, so it settles within 1e-3, by step 377",
                 "run=rmsprop:lr=0.01,label=RMSProp%2C+lr+0.01&run=rmsprop:lr=0.1,label=RMSProp%2C+lr+0.1"),
            Step("Adam with RMSProp's short memory (b2=0.9): momentum alone lets it settle, by step 130",
                 "run=adam:lr=0.1,b2=0.9,label=Adam%2C+b2+0.9&run=rmsprop:lr=0.1,label=RMSProp"),
            Step("Adam without momentum (b1=0) settles too, by step 284: its long memory (b2 = 0.999) shrinks its "
                 "steps as the gradient fades",
                 "run=adam:lr=0.1,b1=0,label=Adam%2C+b1+0&run=rmsprop:lr=0.1,label=RMSProp"),
        ),
    ),
    Lesson(
        "adamw", "AdamW: decay decoupled from the step", "adaptive methods",
        "This loss, 0.5(x - 2)^2, ignores y: every point of the line x = 2 is a minimum, and y is a weight the "
        "loss does not care about. Adam without decay walks to x = 2 and leaves y at 2.5 for good. AdamW takes "
        "the same Adam step and, apart from it, shrinks both weights by lr times the decay, 0.5% per step: y "
        "falls smoothly from 2.5 to 0.92 in 200 steps, while x still ends at 1.93, close to 2. Step 1 puts the "
        "same decay into the loss as an L2 penalty, the way Adam was regularised before AdamW.",
        "surface=custom:window=-1,4,-1,4&f=0.5*(x-2)^2&start=0.5,2.5&steps=200"
        "&run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+decay+0.1&run=adam:lr=0.05,label=Adam%2C+no+decay",
        (
            Step("Adam with L2 instead (0.05(x^2 + y^2) added to the loss): y falls fast (0.45 at step 50, AdamW's "
                 "1.95) and x settles at 1.82",
                 "f=0.5*(x-2)^2%2B0.05*(x^2%2By^2)&run=adam:lr=0.05,label=Adam+%2B+L2+0.1"),
            Step("Ten times the loss, 5(x - 2)^2: AdamW's path does not change, since neither Adam's step nor the "
                 "decay sees the gradient's scale",
                 "f=5*(x-2)^2&run=adamw:lr=0.05,weight_decay=0.1,label=AdamW%2C+decay+0.1"
                 "&run=adam:lr=0.05,label=Adam%2C+no+decay"),
            Step("Ten times the loss with the same L2: now the loss outweighs the penalty and x settles at 1.98, not "
                 "1.82",
                 "f=5*(x-2)^2%2B0.05*(x^2%2By^2)&run=adam:lr=0.05,label=Adam+%2B+L2+0.1"),
            Step("AdamW with decay 1: it outweighs Adam's step (about lr long) once |x| passes 1/λ = 1, so x stays "
                 "below 1 and y falls to 0",
                 "run=adamw:lr=0.05,weight_decay=1,label=AdamW%2C+decay+1&run=adamw:lr=0.05,weight_decay=0.1,"
                 "label=AdamW%2C+decay+0.1"),
        ),
    ),
    Lesson(
        "normalization", "Why normalising helps", "conditioning",
        "Momentum 0.5 on the bowl at cond=100: curvature 100 across the valley, 1 along it. The steep axis caps "
        "the rate at 2(1 + μ)/L = 0.03: at lr 0.5 the run diverges at step 3, and at lr 0.02 the shallow axis "
        "is slow, so it arrives within 1e-3 only by step 86. Normalising a network's inputs or activations aims "
        "to make every direction about equally curved. The scene language cannot rescale coordinates, so step 1 "
        "shows the same bowl at cond=1: the shape that stretching the steep axis tenfold would give, started "
        "from the same point rather than a stretched one.",
        "surface=quadratic:cond=100&steps=120&run=momentum:lr=0.02,momentum=0.5,label=Momentum+0.5%2C+lr+0.02"
        "&run=momentum:lr=0.5,momentum=0.5,label=Momentum+0.5%2C+lr+0.5",
        (
            Step("The same runs at cond=1: lr 0.5 is now stable and arrives by step 13; lr 0.02 is no faster "
                 "(step 99)",
                 "surface=quadratic:cond=1"),
            Step("cond=1 with plain SGD at lr 1 = 1/L: a single step lands on the minimum",
                 "surface=quadratic:cond=1&run=sgd:lr=1,label=SGD%2C+lr+1"),
            Step("Halfway, cond=10: the limit is 2(1 + μ)/L = 0.3, and lr 0.2 arrives by step 15",
                 "surface=quadratic:cond=10&run=momentum:lr=0.2,momentum=0.5,label=Momentum+0.5%2C+lr+0.2"
                 "&run=momentum:lr=0.02,momentum=0.5,label=Momentum+0.5%2C+lr+0.02"),
            Step("cond=1000: the limit falls to 0.003, and lr 0.002 is still 1.0 from the minimum after 120 steps",
                 "surface=quadratic:cond=1000&run=momentum:lr=0.002,momentum=0.5,label=Momentum+0.5%2C+lr+0.002"),
        ),
    ),
    Lesson(
        "starts", "Where a run starts", "the landscape",
        "Himmelblau has four minima, all at f = 0. Four SGD runs (lr 0.01) start within 0.6 of each other, around "
        "the peak near (-0.27, -0.92), and end in four different minima. The map beside the paths (explore=starts) "
        "colours every start in the window by the minimum its run ends in: four basins, whose borders meet at "
        "the peak and pass through the four saddles.",
        "surface=himmelblau&steps=300&run=sgd:lr=0.01,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)"
        "&run=sgd:lr=0.01,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)"
        "&run=sgd:lr=0.01,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)&run=sgd:lr=0.01,x0=0,y0=-1,label=from+(0%2C+-1)"
        "&explore=starts:n=64",
        (
            Step("Momentum 0.9 (lr 0.005): the same four minima from the four starts, but a ragged map: nearly a "
                 "quarter of all starts end elsewhere",
                 "run=momentum:lr=0.005,momentum=0.9,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)"
                 "&run=momentum:lr=0.005,momentum=0.9,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)"
                 "&run=momentum:lr=0.005,momentum=0.9,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)"
                 "&run=momentum:lr=0.005,momentum=0.9,x0=0,y0=-1,label=from+(0%2C+-1)"),
            Step("Adam (lr 0.1) from the same starts: (0, -1) now ends in (3, 2); the optimizer moves the borders "
                 "too",
                 "run=adam:lr=0.1,x0=-0.2,y0=-0.6,label=from+(-0.2%2C+-0.6)"
                 "&run=adam:lr=0.1,x0=-0.4,y0=-0.6,label=from+(-0.4%2C+-0.6)"
                 "&run=adam:lr=0.1,x0=-0.5,y0=-1,label=from+(-0.5%2C+-1)&run=adam:lr=0.1,x0=0,y0=-1,"
                 "label=from+(0%2C+-1)"),
            Step("The saddle surface: every start above y = 0 ends in the top minimum, every start below it in "
                 "the bottom one",
                 "surface=saddle&steps=200&run=sgd:lr=0.05,label=SGD"),
            Step("On the saddle, start on the border y = 0 itself: nothing pushes the run off it, and SGD stops "
                 "on the saddle (0, 0)",
                 "surface=saddle&steps=200&run=sgd:lr=0.05,y0=0,label=from+(1.8%2C+0)"
                 "&run=sgd:lr=0.05,label=from+(1.8%2C+0.001)"),
        ),
    ),
    Lesson(
        "clipping", "Clipping at the cliff", "exploding gradients",
        "A gentle valley beside a plateau that ends in a wall 50 high, where the gradient reaches about 250: the "
        "exploding-gradient picture. All three runs are SGD at lr 0.1, starting on the plateau. Unclipped, the "
        "run's step on the wall's face is 24 units long: it is thrown off the map at step 10 and needs until step "
        "279 to crawl back. Clipping the gradient to norm 1 caps every step at 0.1, and the run walks down the "
        "wall and arrives by step 132. Clipping by value caps each coordinate of the gradient at 1 instead, so on the face, where "
        "x's gradient is cut from 250 to 1 and y's is kept, its steps turn towards the valley floor: it arrives "
        "by step 131.",
        "surface=cliff&steps=300&run=sgd:lr=0.1,label=no+clipping&run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1"
        "&run=sgd:lr=0.1,clip_value=1,label=clip+value+1",
        (
            Step("Clip norm 10: steps up to 1 long; only the one step on the face is clipped, and it arrives "
                 "sooner, by step 92",
                 "run=sgd:lr=0.1,clip_norm=10,label=clip+norm+10&run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1"),
            Step("lr 0.01 without clipping: the wall no longer throws it out, but it is ten times slower and has "
                 "not arrived after 300 steps",
                 "run=sgd:lr=0.01,label=lr+0.01%2C+no+clipping&run=sgd:lr=0.1,clip_norm=1,label=clip+norm+1"),
            Step("Adam (lr 0.1) without clipping: its step ignores the gradient's size, so it stays in the window; "
                 "not arrived after 300 steps",
                 "run=adam:lr=0.1,label=Adam&run=sgd:lr=0.1,clip_norm=1,label=SGD%2C+clip+norm+1"),
            Step("The same three runs in 3D: the plateau, the wall and the valley below it", "view=3d"),
        ),
    ),
    Lesson(
        "noise", "Noise, and a rate that settles it", "noise",
        "Gradient noise stands in for minibatches: each step sees the true gradient plus Gaussian noise of std 3. "
        "Without noise, SGD at lr 0.05 arrives within 1e-3 of the minimum by step 71 and stays. With noise it "
        "wanders around the minimum and never settles: over its last 100 steps its loss averages about 0.3, "
        "because every step adds a random move of lr times the noise. The cosine run sees exactly the same noise, "
        "but its rate, and so its random moves, fall to 0 over the run: over its last 100 steps its loss "
        "averages 0.01.",
        "surface=quadratic:cond=10&steps=300&run=sgd:lr=0.05,noise=3,label=noise+3"
        "&run=sgd:lr=0.05,schedule=cosine,noise=3,label=noise+3%2C+cosine+decay&run=sgd:lr=0.05,label=no+noise"
        "&autoplay=1",
        (
            Step("Seeds 1 and 2: other draws of the noise, other paths, about the same wandering loss (0.2 to 0.4)",
                 "run=sgd:lr=0.05,noise=3,label=seed+0&run=sgd:lr=0.05,noise=3,seed=1,label=seed+1"
                 "&run=sgd:lr=0.05,noise=3,seed=2,label=seed+2"),
            Step("Half the rate (lr 0.025): about half the wandering loss",
                 "run=sgd:lr=0.05,noise=3,label=lr+0.05&run=sgd:lr=0.025,noise=3,label=lr+0.025"),
            Step("Half the noise (std 1.5): a quarter of the wandering loss",
                 "run=sgd:lr=0.05,noise=3,label=noise+3&run=sgd:lr=0.05,noise=1.5,label=noise+1.5"),
            Step("Momentum 0.9 at the same rate adds up the noise as it adds up gradients, and wanders several "
                 "times higher",
                 "run=sgd:lr=0.05,noise=3,label=SGD&run=momentum:lr=0.05,momentum=0.9,noise=3,label=Momentum+0.9"),
            Step("Exponential decay (gamma 0.99): the rate ends at 5% of 0.05, and the run settles like the cosine "
                 "one",
                 "run=sgd:lr=0.05,schedule=exponential,gamma=0.99,noise=3,label=exponential+decay"
                 "&run=sgd:lr=0.05,schedule=cosine,noise=3,label=cosine+decay"),
        ),
    ),
    Lesson(
        "newton", "Newton: curvature", "curvature",
        "Newton's method divides the gradient by the curvature, the exact Hessian: on a quadratic that is the "
        "whole answer, and one step of lr 1 lands on the minimum of this cond=50 bowl. First-order methods see "
        "only the slope, so the steep axis limits their rate: SGD at its best rate, 2/(L + 1) = 0.039, arrives "
        "within 1e-3 by step 117, and momentum tuned for cond=50 (lr 0.061, momentum 0.57) by step 35. The "
        "price is the Hessian: 2 x 2 here, n x n for n weights. And Newton heads for any point where the "
        "gradient vanishes, not only minima (steps 3 and 5).",
        "surface=quadratic:cond=50&steps=150&run=newton:lr=1,label=Newton"
        "&run=momentum:lr=0.0614,momentum=0.566,label=Momentum%2C+tuned&run=sgd:lr=0.039,label=SGD%2C+lr+0.039",
        (
            Step("Half a Newton step (lr 0.5): the distance to the minimum halves with every step",
                 "run=newton:lr=0.5,label=Newton%2C+lr+0.5&run=newton:lr=1,label=Newton%2C+lr+1"),
            Step("Rosenbrock: Newton reaches (1, 1) in 5 steps, after a jump uphill; SGD and Adam are still far "
                 "after 100",
                 "surface=rosenbrock&steps=100&run=newton:lr=1,label=Newton&run=sgd:lr=0.001,label=SGD"
                 "&run=adam:lr=0.05,label=Adam"),
            Step("The saddle: Newton jumps onto the saddle point in one step and stays; SGD rolls off to a minimum",
                 "surface=saddle&steps=150&run=newton:lr=1,label=Newton&run=sgd:lr=0.05,label=SGD"),
            Step("Damping 3 outweighs the saddle's negative curvature (-2): the step goes downhill, and Newton "
                 "arrives by step 11",
                 "surface=saddle&steps=150&run=newton:lr=1,damping=3,label=Newton%2C+damping+3"
                 "&run=newton:lr=1,label=Newton"),
            Step("Himmelblau, near its peak: Newton climbs to the local maximum (-0.27, -0.92) and stays; SGD rolls "
                 "down to a minimum",
                 "surface=himmelblau&steps=150&run=newton:lr=1,label=Newton&run=sgd:lr=0.01,label=SGD"),
        ),
    ),
)

LESSONS: dict[str, Lesson] = registry(_ENTRIES, "lesson")

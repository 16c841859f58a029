"""The model surface's parameters, declared once: what `surface=mlp:...`
takes (docs/model.md). Light on purpose (no JAX): the surface registry,
the parser, the sidebar and the reference all read these records.

The run keys for the training points whose labels were dropped
(`unlabeled`, `threshold`, `weight`) are declared here too, beside the
surface's: they exist only on `surface=mlp` (`visualizer.core.run` lists
them as model-only settings).

Which of them compile: a new shape compiles once (`hidden`, `layers`,
`batch`) and so does a new activation (`act`); everything else enters the
compiled program as data (the data set's points, the labelled mask, the
initial weights, the freeze mask and the step it is lifted at, the scaled
inputs), so changing `data`, `init`, `labels`, `pretrain`, `freeze`,
`unfreeze` or `scale` compiles nothing.
"""

from __future__ import annotations

from visualizer.core.knobs import Choice, Knob

DATA_SETS = ("moons", "circles", "spirals", "blobs", "xor")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "gelu")
INITS = ("zeros", "constant", "normal", "xavier", "he", "large")
# init=constant: every weight this one value (biases 0), so every hidden
# unit starts as every other and, getting the same gradient, stays so.
CONSTANT_WEIGHT = 0.2
# `batch` is a Choice, not an integer Knob: a batch size is an array's shape,
# so every value compiles a program of its own; a few sizes keep the programs
# few and the control a picker, and "all" (full batch, the default) is not a
# number. In a link it reads the same either way: batch=32.
BATCHES = ("all", "1", "8", "16", "32", "64", "128")

DATA = Choice("data", "moons", DATA_SETS, "the labelled 2D data set the network learns", title="Data set")
HIDDEN = Knob("hidden", 16, 1, 64, "h", "units in each hidden layer", title="Hidden units", integer=True)
LAYERS = Knob("layers", 1, 1, 2, "L", "hidden layers", title="Hidden layers", integer=True)
ACT = Choice("act", "tanh", ACTIVATIONS, "the hidden units' activation", title="Activation")
INIT = Choice("init", "xavier", INITS,
              "initial weights: zeros (every weight and bias 0), constant (every weight "
              f"{CONSTANT_WEIGHT:g}: identical hidden units), normal (std 1), xavier, he, large (std 5); "
              "biases start at 0", title="Initialisation")
LABELS = Knob("labels", 1.0, 0.01, 1.0, "", "fraction of the training points whose labels are kept",
              title="Labelled fraction")
PRETRAIN = Choice("pretrain", "none", ("none", *DATA_SETS),
                  "a data set to train on first (Adam, fixed recipe); every run then starts from those weights",
                  title="Pretrain on")
FREEZE = Choice("freeze", "0", ("0", "1"), "1: only the last layer trains", title="Freeze all but the last layer")
UNFREEZE = Knob("unfreeze", 0, 0, 10000, "", "with freeze=1, the step from which every weight trains (freeze, then "
                "fine-tune; a step schedule can lower the rate there); 0: never", title="Unfreeze at step",
                integer=True)
BATCH = Choice("batch", "all", BATCHES, "minibatch size, drawn from the run's seed; all: full batch",
               title="Batch size")
SCALE = Knob("scale", 1.0, 0.01, 100.0, "s", "the first input feature multiplied by this: badly scaled inputs "
             "make an ill-conditioned landscape", title="Scale of feature 1", log=True)

SHARPNESS_EVERY = Knob("sharpness_every", 10, 1, 1000, "", "the sharpness (the loss's top Hessian eigenvalue, by "
                       "Lanczos on Hessian-vector products) is estimated every this many steps",
                       title="Sharpness every (steps)", integer=True)
PLANE = Choice("plane", "run1", ("run1", "joint"),
               "the plane the paths are drawn on: run1, the principal components of run 1's path around its end "
               "(Li et al.); joint, those of every run's weights together around their mean, each run's distance "
               "from it shown", title="Plane")

# What a run does with the unlabelled training points (visualizer.core.model.unlabeled).
UNLABELED_MODES = ("ignore", "selftrain", "entropy")
UNLABELED_HELP = ("the training points without labels: ignore (left out of the loss), selftrain (each one "
                  "predicted with confidence >= threshold is trained on as if labelled so), entropy (the mean "
                  "entropy of their predictions, minimised); only on surface=mlp")
THRESHOLD = Knob("threshold", 0.9, 0.5, 0.999, r"\tau", "confidence max(p, 1 - p) a prediction needs to become a "
                 "pseudo-label (selftrain); every mode counts its pseudo-labels by it", title="Pseudo-label threshold")
WEIGHT = Knob("weight", 1.0, 0.0, 10.0, r"\lambda_u", "weight of the unlabelled points' term in the loss "
              "(selftrain, entropy)", title="Weight of the unlabelled term")

PARAMS = (DATA, HIDDEN, LAYERS, ACT, INIT, LABELS, PRETRAIN, FREEZE, UNFREEZE, BATCH, SCALE, SHARPNESS_EVERY, PLANE)
# Written in a link only where set: added after links to the network were shared.
QUIET = ("sharpness_every", "plane")
# The parameters whose every new value compiles a program (once): shapes
# and code. The rest are data of the compiled programs.
COMPILES = ("hidden", "layers", "act", "batch")

"""A tiny Streamlit app that feeds the trajectory player synthetic data.

    streamlit run tests/browser/player_demo_app.py --server.headless=true --server.port=8701

The scene is chosen by the URL (`?case=...`), so a browser test can open every
edge case directly:

- `rosenbrock` (default): 120 x 120 grid, 8 runs x `steps` (default 1000) of
  NumPy gradient descent / momentum, one diverging, one with clip_norm.
- `small`: 1 step, 2 runs. `empty`: no runs. `one`: a run diverged at update 0.
- `nan`: a surface with a NaN hole and huge values. `allnan`: every z NaN.
- `negative`: a surface whose losses go below zero (linear colouring).
- `zero`: a quadratic where one run lands exactly on the minimum (loss 0).
- `starts`: the Rosenbrock runs, each from its own start.
- `model`: a network scene made up (`payload["model"]`, the contract in
  visualizer/page/player.py): the Rosenbrock runs as paths on "the plane", two
  moons (200 training points, a quarter of them without a label, 200 test
  points), each run's decision boundary turning towards the moons' at its
  own pace (40 frames a run, the diverging run's frames flagged after it
  diverges) and its accuracies. `runs=n` keeps the first n runs (`runs=1`:
  one constant learning rate); `init=zeros` is a network that never moves:
  every gradient 0, P(class 1) = 1/2 everywhere, accuracies 50%.
  `pseudo=1` adds pseudo-labels (`pseudo_codes`): at frame f of F, the
  unlabelled point i is pseudo-labelled when i % 5 < 5 f / F, with its own
  class except where i % 7 == 0 (the other class: a wrong one); run 1
  self-trains, the others only predict. `kept=n`: n training points keep
  their labels (150 unless given).
- `scene`: a real scene, simulated: `?case=scene&scene=<scene query,
  percent-encoded>`, with the "Inside a step" button (`inside=1`: on from
  the start); its event switches the overlays' numbers on and off, as the
  page does.

The viewer's keys travel in the payload's `viewer`, read from the URL by the
table of viewer keys as the real page reads them: `present=1`, `autoplay=1`,
`loop=1` (the keys the server writes, also kept in the query), `step=k`,
`speed=s`, `hide=2,5` (1-based), and `view=3d`; e.g.
`?case=rosenbrock&present=1&autoplay=1&hide=2`. Colours come from the
project's palette (`visualizer.browser.payload.PALETTE`).

The returned value of the component is shown under it; a "Set start" click
moves the start (of all runs, or of the one run it names) and recomputes
the runs.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from visualizer.browser.curves import curves_payload  # noqa: E402
from visualizer.browser.payload import PALETTE  # noqa: E402
from visualizer.core.errors import SceneError  # noqa: E402
from visualizer.page.player import encode_f32, player  # noqa: E402


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(x, y):
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def styblinski(x, y):
    return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


def styblinski_grad(x, y):
    return 0.5 * np.array([4 * x**3 - 32 * x + 5, 4 * y**3 - 32 * y + 5])


def descend(f, grad, start, steps, lr, momentum=0.0, clip_norm=None, decay=1.0):
    """Heavy-ball gradient descent in the results' layout (docs/results.md)."""
    p = np.array(start, dtype=float)
    v = np.zeros(2)
    xy, loss, lrs, gns = [p.copy()], [f(*p)], [], []
    diverged = None
    for k in range(steps):
        g = grad(*p)
        gn = float(np.linalg.norm(g))
        lr_k = lr * decay**k
        lrs.append(lr_k)
        gns.append(gn)
        if clip_norm is not None and gn > clip_norm:
            g = g * (clip_norm / gn)
        with np.errstate(all="ignore"):
            v = momentum * v + g
            p = p - lr_k * v
            fp = f(*p)
        if not (np.all(np.isfinite(p)) and np.isfinite(fp)) or np.max(np.abs(p)) > 1e6:
            diverged = k
            break
        xy.append(p.copy())
        loss.append(fp)
    return np.array(xy), np.array(loss), np.array(lrs), np.array(gns), diverged


def bowl(x, y):
    return x**2 + y**2


def bowl_grad(x, y):
    return np.array([2 * x, 2 * y])


def grid(f, window, n=120):
    (x0, x1), (y0, y1) = window
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = f(X, Y)
    return xs, ys, Z


def run_payload(label, result, clip_norm=None, start=None):
    """Without a colour: the player takes the palette's."""
    xy, loss, lrs, gns, diverged = result
    return {
        "label": label,
        "start": None if start is None else [float(v) for v in start],
        "xy": encode_f32(xy.ravel()),
        "loss": encode_f32(loss),
        "lr": encode_f32(lrs),
        "grad_norm": encode_f32(gns),
        "diverged_at": diverged,
        "clip_norm": clip_norm,
    }


@st.cache_data(max_entries=16)
def build(case: str, steps: int, start: tuple[float, float], run_starts: tuple = ()) -> dict:
    window = [[-2.0, 2.0], [-1.0, 3.0]]
    f, g = rosenbrock, rosenbrock_grad
    minima, saddles, log_scale, name = [[1.0, 1.0]], [], True, "Rosenbrock"
    if case == "negative":
        window = [[-5.0, 5.0], [-5.0, 5.0]]
        f, g = styblinski, styblinski_grad
        minima, saddles, log_scale, name = [[-2.903534, -2.903534]], [[0.157, 0.157]], False, "Styblinski-Tang"
    if case == "zero":
        window = [[-2.0, 2.0], [-2.0, 2.0]]
        f, g = bowl, bowl_grad
        minima, saddles, log_scale, name = [[0.0, 0.0]], [], True, "Bowl"
    xs, ys, Z = grid(f, window)
    if case == "nan":
        Z[(np.hypot(*np.meshgrid(xs - 0.8, ys - 2.2)) < 0.45)] = np.nan
        Z[:5, :5] = 1e39  # beyond float32: arrives as inf
    if case == "allnan":
        Z[:] = np.nan
    specs = [
        ("GD lr=0.001", dict(lr=1e-3)),
        ("GD lr=0.0005", dict(lr=5e-4)),
        ("momentum 0.9, lr=1e-4", dict(lr=1e-4, momentum=0.9)),
        ("momentum 0.95, lr=5e-5", dict(lr=5e-5, momentum=0.95)),
        ("GD lr=0.0015, decay", dict(lr=1.5e-3, decay=0.998)),
        ("GD lr=0.01 (too big)", dict(lr=1e-2)),
        ("clip_norm=5, lr=0.002", dict(lr=2e-3, clip_norm=5.0)),
        ('<b>Adam</b> & "friends" <script>alert(1)</script>', dict(lr=2e-4, momentum=0.8)),
    ]
    if case == "negative":
        specs = [(lbl, dict(kw, lr=kw["lr"] * 10)) for lbl, kw in specs]
    if case == "small":
        steps, specs = 1, specs[:2]
    if case == "empty":
        specs = []
    if case == "zero":  # lr=0.5 lands on (0, 0) exactly after one step
        specs = [("GD lr=0.5 (exact)", dict(lr=0.5)), ("GD lr=0.1", dict(lr=0.1)), ("GD lr=0.01", dict(lr=0.01))]
    starts = [start] * len(specs)
    if case == "starts":
        starts = [(-1.8 + 0.45 * i, 2.6 - 0.25 * i) for i in range(len(specs))]
    starts = [dict(run_starts).get(i, s0) for i, s0 in enumerate(starts)]
    runs = []
    for i, (label, kw) in enumerate(specs):
        result = descend(f, g, starts[i], steps, **kw)
        runs.append(run_payload(label, result, kw.get("clip_norm"), starts[i]))
    if case == "one":
        runs = [dict(run_payload("diverged at 0", descend(f, g, start, steps, lr=1e9)), color=PALETTE[5])] + runs[:2]
    query = f"case={case}&steps={steps}&start={start[0]:.4g},{start[1]:.4g}"
    return {
        "query": query,
        "palette": list(PALETTE),
        "surface": {
            "name": name,
            "x": encode_f32(xs),
            "y": encode_f32(ys),
            "z": encode_f32(Z),
            "log_scale": log_scale,
            "window": window,
            "minima": minima,
            "minima_estimated": case == "nan",
            "saddles": saddles,
        },
        "start": list(start),
        "steps": steps,
        "runs": runs,
        "curves": curves_payload(),
    }


@st.cache_data(max_entries=8)
def scene_build(query: str, inside: bool) -> dict:
    """A real scene's payload, as the page builds it."""
    from visualizer import Scene, simulate
    from visualizer.browser.payload import scene_payload, surface_payload
    from visualizer.core import landmarks

    scene = Scene.from_query(query)
    surface = surface_payload(scene.resolved_surface(), scene.surface_values(), landmarks.of(scene))
    return scene_payload(simulate(scene), surface, scene.to_query(), inside=inside)


def moons(n, rng, noise=0.2):
    """Two interleaved half circles, n points of each class, standardised."""
    t = rng.uniform(0, np.pi, n)
    a = np.stack([np.cos(t), np.sin(t)], 1)
    b = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    x = np.concatenate([a, b]) + rng.normal(0, noise, (2 * n, 2))
    y = np.repeat([0, 1], n)
    return x, y


def pseudo_codes(n_frames: int, labelled: np.ndarray, train_y: np.ndarray) -> np.ndarray:
    """(frames, n) pseudo-label codes of the module docstring's rule: 0
    none, 1 + the class given."""
    i = np.arange(len(train_y))
    codes = np.zeros((n_frames, len(train_y)), np.uint8)
    for f in range(n_frames):
        taken = (i % 5 < 5 * f / max(n_frames - 1, 1)) & (labelled == 0)
        given = np.where(i % 7 == 0, 1 - train_y, train_y).astype(np.uint8)
        codes[f] = np.where(taken, 1 + given, 0)
    return codes


@st.cache_data(max_entries=8)
def model_build(steps: int, n_runs: int, zeros: bool, pseudo: bool = False, kept: int = 150) -> dict:
    """A made-up network scene: the Rosenbrock runs on the plane, the data,
    boundaries and accuracies (see the module's docstring)."""
    from visualizer.browser.encode import encode_u8

    payload = build("rosenbrock", steps, (-1.5, 2.0))
    payload = dict(payload, runs=[dict(r) for r in payload["runs"][:n_runs]])
    rng = np.random.default_rng(0)
    train_x, train_y = moons(100, rng)
    test_x, test_y = moons(100, rng)
    mean, std = train_x.mean(0), train_x.std(0)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    labelled = np.ones(200, dtype=np.uint8)
    labelled[rng.permutation(200)[:200 - kept]] = 0
    lo, hi = np.minimum(train_x.min(0), test_x.min(0)), np.maximum(train_x.max(0), test_x.max(0))
    pad = 0.1 * (hi - lo)
    window = [[float(lo[0] - pad[0]), float(hi[0] + pad[0])], [float(lo[1] - pad[1]), float(hi[1] + pad[1])]]
    xs, ys = np.linspace(*window[0], 32), np.linspace(*window[1], 32)
    X, Y = np.meshgrid(xs, ys)
    frames = np.unique(np.linspace(0, steps, min(40, steps + 1)).round()).astype(int)
    p = np.empty((n_runs, len(frames), 32, 32))
    diverged = np.zeros((n_runs, len(frames)), dtype=np.uint8)
    for r, run in enumerate(payload["runs"]):
        tau = steps * (0.08 + 0.05 * r)
        n_points = len(np.frombuffer(base64.b64decode(run["loss"]["bdata"]), "<f4"))
        k = np.arange(n_points)
        progress = 1 - np.exp(-k / tau)
        for f, step in enumerate(frames):
            u = 1 - np.exp(-step / tau)
            # from a tilted line to the moons' wave
            z = 4 * u * (-(Y - 0.15) + 0.9 * np.sin(1.4 * X) * u) + (1 - u) * (X - 0.3 * Y - 0.5)
            p[r, f] = 0.5 if zeros else 1 / (1 + np.exp(-z))
            if run["diverged_at"] is not None and step > run["diverged_at"]:
                diverged[r, f] = 1
                p[r, f] = 0.5
        train = 0.5 if zeros else 0.5 + 0.47 * progress
        run["train_accuracy"] = encode_f32(np.full(n_points, 0.5) if zeros else train)
        run["test_accuracy"] = encode_f32(np.full(n_points, 0.5) if zeros else train - 0.04 * progress)
        if zeros:
            run["grad_norm"] = encode_f32(np.zeros(max(0, n_points - 1)))
        if pseudo:
            codes = pseudo_codes(len(frames), labelled, train_y)
            at = np.searchsorted(frames, k, side="right") - 1  # each point's frame
            taken = (codes[at] > 0).sum(1)
            right = ((codes[at] > 0) & (codes[at] - 1 == train_y)).sum(1)
            run["pseudo_labels"] = encode_f32(taken)
            run["pseudo_label_accuracy"] = encode_f32(np.where(taken > 0, right / np.maximum(taken, 1), np.nan))
            run["unlabeled"] = "selftrain" if r == 0 else "ignore"
    payload["surface"] = dict(payload["surface"], name="Network, plane of run 1 (97% of its path)")
    payload["model"] = {
        "explained_variance": [0.0, 0.0] if zeros else [0.8, 0.17],
        "data": {"window": window, "train_x": encode_f32(train_x), "train_y": encode_u8(train_y),
                 "labelled": encode_u8(labelled), "test_x": encode_f32(test_x), "test_y": encode_u8(test_y),
                 "scale": 1.0},
        "boundary": {"steps": [int(v) for v in frames], "xs": encode_f32(xs), "ys": encode_f32(ys),
                     "shape": list(p.shape), "p": encode_u8(np.round(p * 255)), "diverged": encode_u8(diverged)},
    }
    if pseudo:
        codes = pseudo_codes(len(frames), labelled, train_y)
        payload["model"]["boundary"]["pseudo"] = encode_u8(np.broadcast_to(codes, (n_runs, *codes.shape)))
    payload["query"] = (f"case=model&steps={steps}&runs={n_runs}" + ("&init=zeros" if zeros else "")
                        + ("&pseudo=1" if pseudo else "") + (f"&kept={kept}" if kept != 150 else ""))
    return payload


def viewer_from_url(params, steps: int, runs: int) -> tuple[dict, list[str]]:
    """The payload's `viewer` and the keys the server keeps in the query,
    read from the URL by the table of viewer keys as the page reads a link
    (a bad value falls back to the key's default), for `runs` runs of
    `steps` steps."""
    from visualizer.browser.payload import viewer_payload
    from visualizer.core.scene import Viewer, viewer_keys
    from visualizer.core.viewer import SERVER

    fields, values = {"steps": steps, "runs": [None] * runs}, {}
    for key in viewer_keys():
        if key.name in params:
            try:
                values.update(key.parse([params[key.name]], fields, lambda exc, fallback: None))
            except SceneError:
                pass
    viewer = Viewer(**values)
    kept = [part for key in viewer_keys() if key.writer == SERVER for part in key.part(viewer)]
    return viewer_payload(viewer), kept


st.set_page_config(page_title="player demo", layout="wide")
case = st.query_params.get("case", "rosenbrock")
steps = int(st.query_params.get("steps", "1000"))
if "start" not in st.session_state:
    raw = st.query_params.get("start", "-1.5,2")
    st.session_state.start = tuple(float(v) for v in raw.split(","))
    st.session_state.run_starts = {}
if "nonce" not in st.session_state:
    st.session_state.nonce = None
viewer, kept = viewer_from_url(st.query_params, steps, 8)

if viewer["values"]["present"]:
    # what the real page does in presentation mode: nothing but the player,
    # no empty band above it
    st.markdown("<style>.block-container{padding-top:0.75rem !important}"
                "header[data-testid=stHeader]{display:none}</style>", unsafe_allow_html=True)
    lr_scale = 1
else:
    lr_scale = st.slider("demo slider (forces a new payload)", 1, 5, 1, key="scale")
if case == "scene":
    if "inside" not in st.session_state:
        st.session_state.inside = st.query_params.get("inside") == "1"
        st.session_state.inside_nonce = None
    from urllib.parse import quote

    scene_query = st.query_params.get("scene", "surface=rosenbrock&run=adam:lr=0.05")
    payload = scene_build(scene_query, st.session_state.inside)
    payload = dict(payload, viewer=viewer)
    payload["query"] = "&".join(["case=scene", "scene=" + quote(scene_query, safe=""), *kept])
elif case == "model":
    payload = model_build(steps, max(1, min(8, int(st.query_params.get("runs", "8")))),
                          st.query_params.get("init") == "zeros", st.query_params.get("pseudo") == "1",
                          int(st.query_params.get("kept", "150")))
    payload = dict(payload, viewer=viewer)
    payload["query"] = "&".join([payload["query"], *kept])
else:
    payload = build(case, steps, st.session_state.start, tuple(sorted(st.session_state.run_starts.items())))
    payload = dict(payload, viewer=viewer)
    payload["query"] = "&".join([payload["query"], *kept])
if lr_scale != 1:
    payload = dict(payload, query=payload["query"] + f"&scale={lr_scale}")
    payload["runs"] = [dict(r, label=r["label"] + f" x{lr_scale}") for r in payload["runs"]]

value = player(payload, key="player", height=640)
if value and value.get("event") == "inside" and value.get("nonce") != st.session_state.get("inside_nonce"):
    from visualizer.browser.events import InsideEvent, player_event

    event = player_event(value, 0)
    event = event if isinstance(event, InsideEvent) else None
    if event is not None:
        st.session_state.inside_nonce = event.nonce
        st.session_state.inside = event.on
        st.rerun()
if value and value.get("event") == "start" and value.get("nonce") != st.session_state.nonce:
    st.session_state.nonce = value["nonce"]
    xy = tuple(round(float(v), 4) for v in value["xy"])
    if value.get("run") is None:
        st.session_state.start, st.session_state.run_starts = xy, {}
    else:
        st.session_state.run_starts = {**st.session_state.run_starts, int(value["run"]): xy}
    st.rerun()
st.write(value)

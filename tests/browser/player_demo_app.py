"""A tiny Streamlit app that feeds the trajectory player synthetic data.

    streamlit run tests/browser/player_demo_app.py --server.headless=true --server.port=8701

The scene is chosen by the URL (`?case=...`), so a browser test can open every
edge case directly:

- `rosenbrock` (default): 120 x 120 grid, 8 runs x `steps` (default 1000) of
  NumPy gradient descent / momentum, one diverging, one with clip_norm.
- `small`: 1 step, 2 runs. `empty`: no runs. `one`: a run diverged at update 0.
- `nan`: a surface with a NaN hole and huge values. `allnan`: every z NaN.
- `negative`: a surface whose losses go below zero (linear colouring).

The returned value of the component is shown under it; a "Set start" click
moves the start and recomputes the runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from visualizer.player import encode_f32, player  # noqa: E402

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6A3D9A", "#000000"]


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_grad(x, y):
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def styblinski(x, y):
    return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


def styblinski_grad(x, y):
    return 0.5 * np.array([4 * x**3 - 32 * x + 5, 4 * y**3 - 32 * y + 5])


def descend(f, grad, start, steps, lr, momentum=0.0, clip_norm=None, decay=1.0):
    """Heavy-ball gradient descent following the spec's result layout."""
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


def grid(f, window, n=120):
    (x0, x1), (y0, y1) = window
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = f(X, Y)
    return xs, ys, Z


def run_payload(label, color, result, clip_norm=None):
    xy, loss, lrs, gns, diverged = result
    return {
        "label": label,
        "color": color,
        "xy": encode_f32(xy.ravel()),
        "loss": encode_f32(loss),
        "lr": encode_f32(lrs),
        "grad_norm": encode_f32(gns),
        "diverged_at": diverged,
        "clip_norm": clip_norm,
    }


@st.cache_data(max_entries=16)
def build(case: str, steps: int, start: tuple[float, float]) -> dict:
    window = [[-2.0, 2.0], [-1.0, 3.0]]
    f, g = rosenbrock, rosenbrock_grad
    minima, saddles, log_scale, name = [[1.0, 1.0]], [], True, "Rosenbrock"
    if case == "negative":
        window = [[-5.0, 5.0], [-5.0, 5.0]]
        f, g = styblinski, styblinski_grad
        minima, saddles, log_scale, name = [[-2.903534, -2.903534]], [[0.157, 0.157]], False, "Styblinski-Tang"
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
    runs = []
    for i, (label, kw) in enumerate(specs):
        runs.append(run_payload(label, PALETTE[i], descend(f, g, start, steps, **kw), kw.get("clip_norm")))
    if case == "one":
        runs = [run_payload("diverged at 0", PALETTE[5], descend(f, g, start, steps, lr=1e9))] + runs[:2]
    query = f"case={case}&steps={steps}&start={start[0]:.4g},{start[1]:.4g}"
    return {
        "query": query,
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
    }


st.set_page_config(page_title="player demo", layout="wide")
case = st.query_params.get("case", "rosenbrock")
steps = int(st.query_params.get("steps", "1000"))
if "start" not in st.session_state:
    raw = st.query_params.get("start", "-1.5,2")
    st.session_state.start = tuple(float(v) for v in raw.split(","))
if "nonce" not in st.session_state:
    st.session_state.nonce = None

lr_scale = st.slider("demo slider (forces a new payload)", 1, 5, 1, key="scale")
payload = dict(build(case, steps, st.session_state.start), view=st.query_params.get("view", "2d"))
if lr_scale != 1:
    payload = dict(payload, query=payload["query"] + f"&scale={lr_scale}")
    payload["runs"] = [dict(r, label=r["label"] + f" x{lr_scale}") for r in payload["runs"]]

value = player(payload, key="player", height=640)
if value and value.get("event") == "start" and value.get("nonce") != st.session_state.nonce:
    st.session_state.nonce = value["nonce"]
    st.session_state.start = tuple(round(float(v), 4) for v in value["xy"])
    st.rerun()
st.write(value)

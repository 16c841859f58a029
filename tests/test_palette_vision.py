"""The runs' colours stay apart for the common colour-vision deficiencies,
by simulation, not by eye: the palette of the style table (every run's
colour, in the player and in the exported pictures) seen through the
Machado, Oliveira and Fernandes (2009) model of protanopia, deuteranopia
and tritanopia (severity 1, applied to linear sRGB), each pair of colours
measured by CIEDE2000 (Sharma, Wu and Dalal 2005, whose test pairs check
the formula here first).

Two lines a CIEDE2000 of 10 apart are told apart at a glance; the runs also
differ by dash pattern (style.json's `run.dashes`), which no colour vision
loses.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from visualizer.browser.style import PALETTE, marks

MIN_DISTANCE = 10.0  # CIEDE2000, between any two runs' colours, in every vision below

# Machado et al. 2009, Table 1, severity 1.0: linear RGB -> linear RGB.
VISION = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = np.array([0.95047, 1.0, 1.08883])


def linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> tuple[float, float, float]:
    """CIELAB (D65) of a linear sRGB colour."""
    t = SRGB_TO_XYZ @ rgb / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def seen(hex_colour: str, vision: str) -> tuple[float, float, float]:
    return lab(np.clip(VISION[vision] @ linear_rgb(hex_colour), 0, 1))


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1)."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dLp, dCp = L2 - L1, c2p - c1p
    dhp = 0.0
    if c1p * c2p:
        dhp = h2p - h1p
        dhp = dhp - 360 if dhp > 180 else dhp + 360 if dhp < -180 else dhp
    dHp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    L_bar, c_bar_p = (L1 + L2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p ** 7 / (c_bar_p ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (L_bar - 50) ** 2 / math.sqrt(20 + (L_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar_p, 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dLp / s_l) ** 2 + (dCp / s_c) ** 2 + (dHp / s_h) ** 2 + r_t * (dCp / s_c) * (dHp / s_h))


# Sharma, Wu and Dalal (2005), Table 1: pairs of CIELAB colours and their
# CIEDE2000 difference, chosen to exercise every term.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize("one, other, want", SHARMA)
def test_ciede2000_matches_the_published_pairs(one, other, want):
    assert ciede2000(one, other) == pytest.approx(want, abs=1e-4)
    assert ciede2000(other, one) == pytest.approx(want, abs=1e-4)


def test_the_simulations_keep_white_and_grey_and_lose_red_against_green():
    for vision in VISION:
        assert ciede2000(seen("#ffffff", vision), (100.0, 0.0, 0.0)) < 1.0, vision
        assert ciede2000(seen("#808080", vision), seen("#808080", "normal")) < 1.0, vision
    red_green = [ciede2000(seen("#e03030", v), seen("#30a030", v)) for v in ("normal", "deuteranopia")]
    assert red_green[1] < red_green[0] / 2, "a red and a green pair collapse for deuteranopia"


@pytest.mark.parametrize("vision", VISION)
def test_every_two_runs_colours_stay_apart(vision):
    distances = {(a, b): ciede2000(seen(a, vision), seen(b, vision)) for a, b in itertools.combinations(PALETTE, 2)}
    closest = min(distances, key=distances.get)
    assert distances[closest] >= MIN_DISTANCE, f"{vision}: {closest} are {distances[closest]:.1f} apart"


def test_runs_also_differ_by_dash():
    dashes = [tuple(d) for d in marks()["run"]["dashes"]]
    assert len(set(dashes)) == len(dashes) >= len(PALETTE)

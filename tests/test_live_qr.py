"""The class's QR code reads back as its link: decoded by an independent
reader (ZXing) from the SVG the projector shows, drawn at the size a phone
sees it from the back of a room."""

from __future__ import annotations

import re

import numpy as np
import pytest
import zxingcpp

from visualizer.live import qr


def _picture(svg: str, pixels_per_module: int) -> np.ndarray:
    """The SVG's dark modules as a grey image: segno draws each row of dark
    modules as one path of `M x y h n` runs (line width 1, at y + 0.5)."""
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // 10
    image = np.full((size * pixels_per_module, size * pixels_per_module), 255, np.uint8)
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmhv])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        elif op == "h":
            x0, x1 = sorted((x, x + float(a)))
            row = int(y - 0.5)
            image[row * pixels_per_module:(row + 1) * pixels_per_module,
                  int(x0) * pixels_per_module:int(x1) * pixels_per_module] = 0
            x += float(a)
        elif op == "v":
            y += float(a)
    return image


@pytest.mark.parametrize("link", ["http://localhost:8501/?class=ABC234",
                                  "https://optimizer-trajectories.streamlit.app/?class=ZZZ999"])
def test_the_qr_code_reads_back_as_the_link(link):
    svg = qr.svg(link)
    assert svg.startswith("<svg") and "<script" not in svg
    for pixels in (3, 8):  # a small phone camera's view, and a close one
        (found,) = zxingcpp.read_barcodes(_picture(svg, pixels))
        assert found.text == link and found.format == zxingcpp.BarcodeFormat.QRCode


def test_the_drawing_and_the_modules_agree():
    link = "http://localhost:8501/?class=ABC234"
    modules = np.array(qr.modules(link))
    picture = _picture(qr.svg(link), 1)[4:-4, 4:-4]  # without the quiet zone
    assert np.array_equal(picture == 0, modules)
    assert len(modules) <= 33, "a coarse code, readable at a distance"

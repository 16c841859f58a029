"""The package as a user installs it, not as the repository runs it: a wheel
built from the repository's files (`pip wheel`, the build `pip install .`
makes), installed with `--no-deps` into a fresh virtual environment that
borrows this environment's dependencies (a .pth line: nothing is downloaded
but the build's own setuptools), its command line run from a folder outside
the repository to export an offline page, and that page opened in
Chromium with every request but the file refused: "Inside a step" typesets
its rule with KaTeX's fonts, which the page can only hold if the wheel
shipped them. And a tree with a listed file missing does not build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from pages import ROOT, assert_katex_typeset, open_offline, show_inside_rule

from visualizer.browser import player_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOURCES = ("pyproject.toml", "setup.py", "README.md", "visualizer")  # what a build reads
SCENE = "surface=rosenbrock&steps=30&run=adam:lr=0.05"


def copy_sources(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, dest / name)
    return dest


def build_wheel(sources: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
                           str(sources)], capture_output=True, text=True, timeout=600)


def isolated(**extra) -> dict:
    """The environment for the installed package: nothing points Python at
    the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """{"wheel": path, "python": the fresh environment's interpreter, "outside": a folder outside the repository}."""
    work = tmp_path_factory.mktemp("wheel")
    built = build_wheel(copy_sources(work / "src"), work / "dist")
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("*.whl")
    env = work / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, env=isolated()).stdout.strip()
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "borrowed-dependencies.pth").write_text("\n".join(borrowed) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    outside = work / "elsewhere"
    outside.mkdir()
    return {"wheel": wheel, "python": python, "outside": outside, "site": Path(site)}


def test_the_wheel_ships_every_file_the_manifest_lists(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    listed = {f"visualizer/browser/frontend/{name}" for name in player_files.manifest().shipped()}
    assert listed <= names, sorted(listed - names)


def test_the_installed_package_is_the_one_imported(installed):
    where = subprocess.run([str(installed["python"]), "-c", "import visualizer; print(visualizer.__file__)"],
                           capture_output=True, text=True, check=True, cwd=installed["outside"], env=isolated())
    assert Path(where.stdout.strip()).is_relative_to(installed["site"]), where.stdout


def test_the_installed_cli_exports_a_page_that_typesets_with_its_fonts(installed, offline_page):
    out = installed["outside"] / "rosenbrock.html"
    run = subprocess.run([str(installed["python"]), "-m", "visualizer", "export", SCENE, "--out", out.name],
                         capture_output=True, text=True, timeout=300, cwd=installed["outside"],
                         env=isolated(JAX_PLATFORMS="cpu"))
    assert run.returncode == 0 and out.is_file(), run.stderr
    page = offline_page
    open_offline(page, out)
    show_inside_rule(page)
    assert_katex_typeset(page)
    width = page.evaluate("() => document.querySelector('#inside-rule .katex').getBoundingClientRect().width")
    assert width > 100
    assert page.requests == [out.as_uri()], page.requests
    assert page.problems == [], page.problems


def test_a_tree_missing_a_listed_file_does_not_build(tmp_path):
    sources = copy_sources(tmp_path / "src")
    font = player_files.manifest().fonts[0]
    (sources / "visualizer" / "browser" / "frontend" / font).unlink()
    built = build_wheel(sources, tmp_path / "dist")
    assert built.returncode != 0
    assert font in built.stdout + built.stderr
    assert not list((tmp_path / "dist").glob("*.whl"))

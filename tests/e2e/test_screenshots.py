"""The README's screenshots are taken by a script (``tests/e2e/screenshots.py``); running it
here, as `make screenshots` does, keeps it from rotting while the pages change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import CHROMIUM
from tests.e2e.screenshots import COLOURS, PICTURES, VIEWPORT

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_the_screenshot_script_writes_the_readmes_pictures(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.screenshots", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in PICTURES:
        with Image.open(tmp_path / name) as picture:
            assert picture.format == "PNG"
            assert picture.width == VIEWPORT["width"]
            assert picture.height >= VIEWPORT["height"]
            assert picture.mode == "P"
            assert len(picture.getpalette() or []) <= 3 * COLOURS
        assert (tmp_path / name).stat().st_size < 100_000, name
    # The README shows these very files.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PICTURES:
        assert f"docs/screenshots/{name}" in readme

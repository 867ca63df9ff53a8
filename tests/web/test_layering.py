"""Imports flow one way: web and CLI → service → store. Routes never touch SQL."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "litfeed"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_web_and_cli_reach_storage_only_through_the_service_layer() -> None:
    files = [*(SRC / "web").rglob("*.py"), *(SRC / "cli_commands").glob("*.py")]
    assert files
    for path in files:
        for name in imported_modules(path):
            assert not name.startswith("sqlalchemy"), (path, name)
            if name.startswith("litfeed.store"):
                # the Store handle itself may be passed around; its SQL modules may not
                assert name in {"litfeed.store", "litfeed.store.Store"}, (path, name)

"""Optional blocks under a paper's abstract (full-text links, related papers, cite, CME).

A capability that lands adds one ``PaperBlock`` with :func:`add_block` in ``create_app``. A block
whose ``context`` returns None is simply not rendered, so the page never shows an empty
placeholder for something that is not there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request

from litfeed.models import Paper
from litfeed.service.accounts import SignedIn

BlockContext = Callable[[Request, Paper, SignedIn | None], dict[str, Any] | None]


@dataclass(frozen=True)
class PaperBlock:
    """``template`` (a ``partials/_block_*.html``) is rendered with ``context``'s dict as
    ``block``; ``order`` places it among the others (smaller first)."""

    name: str
    template: str
    context: BlockContext
    order: int = 100


def add_block(app: FastAPI, block: PaperBlock) -> None:
    blocks: list[PaperBlock] = app.state.paper_blocks
    blocks.append(block)
    blocks.sort(key=lambda b: b.order)


def visible_blocks(request: Request, paper: Paper, auth: SignedIn | None
                   ) -> list[tuple[PaperBlock, dict[str, Any]]]:
    out = []
    for block in request.app.state.paper_blocks:
        data = block.context(request, paper, auth)
        if data is not None:
            out.append((block, data))
    return out

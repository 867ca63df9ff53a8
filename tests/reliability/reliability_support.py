"""Helpers for the fault tests: real ``litfeed`` processes, a live server, a small disk and a
read-only data directory.

Faults are made real where the machine allows it, never mocked: a full disk is a tmpfs of a
few megabytes (the kernel answers ENOSPC), a read-only data directory is a read-only bind
mount (EROFS, which binds root too; ``chmod`` does not). Both need ``mount``, i.e. root with
CAP_SYS_ADMIN, as on the development and CI machines; elsewhere the read-only case falls back
to ``chmod`` (which binds every other user) and the full-disk tests are skipped, saying why.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from testkit import CliResult

#: the CLI as a real process, running this checkout's code (PYTHONPATH is inherited)
LITFEED = [sys.executable, "-m", "litfeed"]


def litfeed_env(data_dir: Path, url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "LITFEED_DATA_DIR": str(data_dir), "LITFEED_DATABASE_URL": url,
            "LITFEED_EMBED_AFTER_INGEST": "false", **extra}


def run_litfeed(*args: str, env: dict[str, str], timeout: float = 900) -> CliResult:
    done = subprocess.run([*LITFEED, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    return CliResult(done.returncode, done.stdout, done.stderr)


def start_litfeed(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([*LITFEED, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str,
             limit: float = 300) -> None:
    """Poll ``condition`` until it holds; fail if ``proc`` ends first or nothing happens."""
    deadline = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the process ended before {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {what} within {limit:.0f} s")
        time.sleep(0.05)


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


def first_records(source: Path, count: int, target: Path) -> Path:
    """The first ``count`` ``PubmedArticle`` records of the real file ``source``, as a PubMed
    XML file of their own (bytes copied as they are: a shorter file of real records)."""
    import gzip

    end = b"</PubmedArticle>"
    with gzip.open(source, "rb") as fh:
        text = fh.read()
    cut = 0
    for _ in range(count):
        cut = text.index(end, cut) + len(end)
    target.write_bytes(text[:cut] + b"\n</PubmedArticleSet>\n")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """``litfeed serve --workers N`` on a free port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([*LITFEED, "serve", "--port", str(port), "--workers", str(workers),
                             "--no-access-log"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                tail = proc.stderr.read()[-2000:] if proc.stderr else ""
                pytest.fail(f"litfeed serve exited: {tail}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("litfeed serve did not answer /api/health within 90 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


# --- real faults -------------------------------------------------------------------------------

def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


def _can_mount() -> bool:
    return os.geteuid() == 0 and _mount("--version").returncode == 0


@contextmanager
def small_disk(path: Path, megabytes: int) -> Iterator[Callable[[int], None]]:
    """A tmpfs of ``megabytes`` at ``path`` (ENOSPC once it is full); yields ``resize(mb)``,
    which grows or shrinks it in place, as an operator freeing space would.

    Skips the test where mounting is not allowed.
    """
    if not _can_mount():
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root (mount)")
    path.mkdir(parents=True, exist_ok=True)
    made = _mount("-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "litfeed-test", str(path))
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")

    def resize(mb: int) -> None:
        done = _mount("-o", f"remount,size={mb}m", str(path))
        assert done.returncode == 0, done.stderr

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextmanager
def read_only(path: Path) -> Iterator[str]:
    """Make ``path`` read-only for every process; yields how ("bind mount" or "chmod")."""
    if _can_mount():
        bound = _mount("--bind", str(path), str(path))
        if bound.returncode == 0:
            ro = _mount("-o", "remount,bind,ro", str(path))
            if ro.returncode == 0:
                try:
                    yield "bind mount"
                finally:
                    subprocess.run(["umount", str(path)], capture_output=True)
                return
            subprocess.run(["umount", str(path)], capture_output=True)
    if os.geteuid() == 0:
        pytest.skip("root ignores file modes and mount is not allowed here")
    modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")]}
    for p in modes:
        p.chmod(modes[p] & ~0o222)
    try:
        yield "chmod"
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def fill(path: Path) -> Path:
    """Write zeros into ``path`` until its file system is full; returns the filler file."""
    filler = path / "filler.bin"
    block = b"\0" * 4096
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while os.write(fd, block) == len(block):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler

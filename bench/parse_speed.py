"""Parse speed and peak memory: litfeed's PubMed parser against pubmed_parser's parse_medline_xml.

Each run is a fresh subprocess, so its peak RSS (``ru_maxrss``) belongs to that parser alone and
nothing is cached between runs. Runs are interleaved (ours, theirs, ours, ...) so that load from
other processes on a shared machine hits both sides alike; we print the best and the median.

    python bench/parse_speed.py [FILE ...] [--repeat N]

Defaults to the two real files in ../shared/data/pubmed-xml/. pubmed_parser (0.5.1) is a
comparison-only dependency and is not in pyproject; the script says so when it is missing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "pubmed-xml"
DEFAULT_FILES = [DATA / "pubmed20n0014.xml.gz", DATA / "pubmed21n1298.xml.gz"]

# The child process: parse the whole file, print records, wall and CPU seconds, peak RSS (KiB).
# Peak RSS is VmHWM (Linux): ru_maxrss would include the parent's RSS carried over by fork.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {src!r})
which, path = sys.argv[1], sys.argv[2]
if which == "litfeed":
    from litfeed.models import Paper
    from litfeed.pubmed import iter_records
    # Articles only, as pubmed_parser yields them (deletions are left out of the count).
    records = lambda: (r for r in iter_records(path) if isinstance(r, Paper))
else:
    import pubmed_parser
    records = lambda: pubmed_parser.parse_medline_xml(path)
wall, cpu = time.perf_counter(), time.process_time()
n = 0
for _ in records():
    n += 1
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
try:
    with open("/proc/self/status") as status:
        rss = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
except (OSError, StopIteration):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"records": n, "wall": wall, "cpu": cpu, "rss_kib": rss}}))
"""

PARSERS = ("litfeed", "pubmed_parser")


def run_once(which: str, path: Path) -> dict[str, float]:
    code = CHILD.format(src=str(ROOT / "src"))
    out = subprocess.run(
        [sys.executable, "-c", code, which, str(path)],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def have_pubmed_parser() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import pubmed_parser"], capture_output=True)
    return probe.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    parsers = PARSERS if have_pubmed_parser() else PARSERS[:1]
    if len(parsers) == 1:
        print("pubmed_parser is not installed (pip install pubmed-parser==0.5.1): "
              "litfeed only", file=sys.stderr)

    header = (f"{'file':<24} {'parser':<14} {'records':>8} {'best rec/s':>11} "
              f"{'median rec/s':>13} {'CPU rec/s':>10} {'peak RSS MiB':>13}")
    print(header)
    print("-" * len(header))
    for path in args.files:
        if not path.exists():
            print(f"{path.name:<24} missing, skipped")
            continue
        runs: dict[str, list[dict[str, float]]] = {p: [] for p in parsers}
        for _ in range(args.repeat):
            for which in parsers:
                runs[which].append(run_once(which, path))
        rates = {}
        for which in parsers:
            results = runs[which]
            n = results[0]["records"]
            best = max(n / r["wall"] for r in results)
            median = statistics.median(n / r["wall"] for r in results)
            cpu = max(n / r["cpu"] for r in results)
            rss = max(r["rss_kib"] for r in results) / 1024
            rates[which] = (median, cpu)
            print(f"{path.name:<24} {which:<14} {int(n):>8} {best:>11,.0f} {median:>13,.0f} "
                  f"{cpu:>10,.0f} {rss:>13.1f}")
        if len(rates) == 2:
            wall_ratio = rates["litfeed"][0] / rates["pubmed_parser"][0]
            cpu_ratio = rates["litfeed"][1] / rates["pubmed_parser"][1]
            print(f"{'':<24} {'ratio':<14} {'':>8} {'':>11} {wall_ratio:>12.2f}x "
                  f"{cpu_ratio:>9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

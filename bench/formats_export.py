"""Export, import and "Cite" speed for the reference formats.

Prints one table: milliseconds per 1,000 papers for each exporter and importer (our own export
read back), and milliseconds per formatted citation. Run from the project root:

    PYTHONPATH=src python bench/formats_export.py [N]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "formats"))

from formats_support import sample_papers

from litfeed.formats import EXPORTERS, IMPORTERS
from litfeed.formats.cite import STYLES, format_citation


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    base = sample_papers()
    papers = [dataclasses.replace(base[i % len(base)], pmid=str(10_000_000 + i))
              for i in range(n)]
    print(f"{n} papers (the 6 test samples repeated with distinct PMIDs)")
    print(f"{'format':<10}{'export ms/1k':>14}{'import ms/1k':>14}{'size KiB':>10}")
    for name, exporter in EXPORTERS.items():
        start = time.perf_counter()
        text = exporter.export(papers)
        export_ms = (time.perf_counter() - start) * 1000 * 1000 / n
        import_ms = ""
        if name in IMPORTERS:
            start = time.perf_counter()
            IMPORTERS[name].parse(text)
            import_ms = f"{(time.perf_counter() - start) * 1000 * 1000 / n:.0f}"
        print(f"{name:<10}{export_ms:>14.0f}{import_ms:>14}{len(text.encode()) / 1024:>10.0f}")
    for style in STYLES:
        format_citation(base[0], style)  # parse the style once
        start = time.perf_counter()
        for paper in base * 20:
            format_citation(paper, style)
        per = (time.perf_counter() - start) * 1000 / (len(base) * 20)
        print(f"cite {style:<10} {per:.1f} ms per citation")


if __name__ == "__main__":
    main()

"""`make render`: the latest dashboard workbook, ICB return and ICB PCN comparator as PDF and PNG
pages, to look at without Excel (LibreOffice headless for xlsx -> PDF, poppler's pdftoppm for
PDF -> PNG; install the Carlito font too, which measures as Calibri, the workbooks' font).

    python -m tools.render [--outputs DIR] [--rendered DIR] [--dpi N]

Note: LibreOffice 7.4 does not draw Excel sparklines when it prints, so the Dashboard's
12-month column is blank in the PDF; Excel shows them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pcnmo import settings

PATTERNS = ("*_dashboard.xlsx", "*_icb_return.xlsx", "*_pcn_comparator.xlsx")


def latest(outputs: Path, pattern: str) -> Path | None:
    files = [p for p in outputs.rglob(pattern) if not p.name.startswith(".")]
    return max(files, key=lambda p: p.stat().st_mtime) if files else None


def render(workbook: Path, rendered: Path, dpi: int) -> tuple[Path, list[Path]]:
    """xlsx -> PDF (LibreOffice, a throwaway profile so parallel runs do not clash) -> PNGs."""
    rendered.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pcnmo-lo-") as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(rendered),
                str(workbook),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = rendered / f"{workbook.stem}.pdf"
    for old in rendered.glob(f"{workbook.stem}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(rendered / workbook.stem)],
        check=True,
        timeout=300,
    )
    return pdf, sorted(rendered.glob(f"{workbook.stem}-*.png"))


def main(argv: list[str] | None = None) -> int:
    paths = settings.paths()
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__)
    parser.add_argument("--outputs", type=Path, default=paths.outputs)
    parser.add_argument("--rendered", type=Path, default=paths.data_dir / "rendered")
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    missing = [tool for tool in ("soffice", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        print(
            f"make render needs {' and '.join(missing)}: on Debian/Ubuntu "
            "`sudo apt-get install -y libreoffice-calc poppler-utils`",
            file=sys.stderr,
        )
        return 1
    found = [latest(args.outputs, pattern) for pattern in PATTERNS]
    if not any(found):
        print(
            f"No workbook or return under {args.outputs}: run `pcnmo run` first.", file=sys.stderr
        )
        return 1
    for workbook in filter(None, found):
        started = time.perf_counter()
        pdf, pngs = render(workbook, args.rendered, args.dpi)
        print(f"{workbook.name}: {pdf} ({len(pngs)} pages, {time.perf_counter() - started:.1f}s)")
        print(f"    first page: {pngs[0] if pngs else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

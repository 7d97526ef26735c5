"""The certificate as a partner sees it: a failing report made and photographed.

Certifies the reference wallet with the `scope-leak` fault (NOT CERTIFIED), then has headless
Chromium take a screenshot of its report at 1,400 and at 420 pixels wide (the first screen of
each) and print it to PDF as the browser's Save as PDF does, with the print stylesheet. Prints
the path and size of each file.

Usage: python bench/screens.py OUT_DIR [--fault NAME]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.cli import main

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars")
WIDTHS = (1400, 420)
# Headless Chromium's window is no narrower than 500 pixels: the phone's width is a frame of it.
FRAME = (
    '<!DOCTYPE html><html><body style="margin:0"><iframe src="{page}" '
    'style="width:{width}px;height:{height}px;border:0"></iframe></body></html>'
)


def chromium(*args: str) -> None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        argv = [found, *FLAGS, f"--user-data-dir={profile}", *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        sys.exit(f"chromium failed: {done.stderr.strip()[-500:]}")


def shoot(page: Path, out: Path, width: int, height: int = 1000) -> Path:
    shot = out / f"report-{width}.png"
    if width < 500:
        framed = out / f".frame-{width}.html"
        framed.write_text(FRAME.format(page=page.name, width=width, height=height))
        chromium(f"--window-size={width},{height}", f"--screenshot={shot}", framed.as_uri())
        framed.unlink()
    else:
        chromium(f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri())
    return shot


def run(out: Path, fault: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.html"
    code = main(["run", "-q", "--fault", fault, "--report", str(report)])
    if not report.is_file():
        print(f"no report was written (exit {code})", file=sys.stderr)
        return 2
    made = [report, *(shoot(report, out, w) for w in WIDTHS)]
    pdf = out / "report.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", report.as_uri())
    made.append(pdf)
    for path in made:
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write into")
    parser.add_argument("--fault", default="scope-leak", help="the reference wallet's fault")
    args = parser.parse_args()
    sys.exit(run(args.out, args.fault))

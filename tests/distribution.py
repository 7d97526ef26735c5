"""Helpers of the distribution tests: build the wheel and the sdist, install the wheel away from
the checkout, and read the commands the README and the guide show."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", ROOT / "docs/guide.md")
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`((?:conformance|pytest) [^`]*)`")


@dataclass(frozen=True)
class Artifacts:
    wheel: Path
    sdist: Path


def build(out: Path) -> Artifacts:
    """`python -m build` of the checkout: the sdist, then the wheel built from that sdist."""
    # --no-isolation: the dev extra holds the build backend, so no index is needed.
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    (wheel,), (sdist,) = out.glob("*.whl"), out.glob("*.tar.gz")
    return Artifacts(wheel, sdist)


def install(wheel: Path, site: Path) -> dict[str, str]:
    """Install the wheel alone into site; the environment that runs its console script from it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
        + ["--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # The dependencies come from this interpreter; the package comes from site, first on the path,
    # and finds its files beside itself there, never in the checkout.
    path = os.pathsep.join(
        (str(site / "bin"), str(Path(sys.executable).parent), os.environ["PATH"])
    )
    return {**os.environ, "PYTHONPATH": str(site), "PATH": path, "NO_COLOR": "1"}


@dataclass(frozen=True)
class Command:
    """One documented command line: where it is shown, as words, and whether it is complete."""

    source: str
    words: tuple[str, ...]
    complete: bool  # from a shell block (runnable as written), not a mention in the text

    @property
    def program(self) -> str:
        words = self.words[2:] if self.words[1:3] == ("-m", "pytest") else self.words
        return Path(words[0]).name

    @property
    def args(self) -> tuple[str, ...]:
        return self.words[3:] if self.words[1:3] == ("-m", "pytest") else self.words[1:]


def shell_lines(block: str) -> list[str]:
    """A shell block's logical lines, continuations joined."""
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def blocks(text: str) -> list[str]:
    return _FENCE.findall(text)


def commands(path: Path) -> list[Command]:
    """Every conformance or pytest command a document shows, in its blocks and in its text."""
    text, name = path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
    found = []
    for block in blocks(text):
        for line in shell_lines(block):
            for part in _split(shlex.split(line, comments=True)):
                found.append(Command(name, part, complete=True))
    for mention in _INLINE.findall(text):
        words = tuple(shlex.split(mention.replace("[", "").replace("]", "")))
        found.append(Command(name, words, complete=False))
    return [c for c in found if c.words and c.program in ("conformance", "pytest")]


def _split(words: list[str]) -> list[tuple[str, ...]]:
    """The commands of a shell line: split at && and ;, a trailing & dropped."""
    parts: list[tuple[str, ...]] = [()]
    for word in words:
        if word in ("&&", ";"):
            parts.append(())
        elif word != "&":
            parts[-1] += (word,)
    return [p for p in parts if p]

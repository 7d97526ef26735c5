"""Every command README.md and docs/guide.md show: it parses, and it runs from the installed wheel
in a folder far from the checkout."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openapi_spec_validator import validate

from conformance import __version__
from conformance.cli import parser

from .distribution import DOCS, ROOT, Command, blocks, build, commands, install, shell_lines

README, GUIDE = (p.read_text(encoding="utf-8") for p in DOCS)
DOCUMENTED = [c for doc in DOCS for c in commands(doc)]
_EXITS = re.compile(r"#.*\bexits (\d)")
EXAMPLES = "3"


def _id(command: Command) -> str:
    return f"{command.source}: {shlex.join(command.words)}"


@pytest.mark.parametrize("command", [c for c in DOCUMENTED if c.program == "conformance"], ids=_id)
def test_every_documented_conformance_command_parses(command: Command) -> None:
    if command.complete:
        try:
            parser().parse_args(command.args)
        except SystemExit as exc:  # --version and --help exit 0, a usage error 2
            assert exc.code == 0, f"usage error in {shlex.join(command.words)}"
        return
    # A mention in the text may leave out required arguments: its sub-command and options exist.
    (action,) = (a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    sub: dict[str, argparse.ArgumentParser] = dict(action.choices)
    name, *rest = command.args
    assert name == "--version" or name in sub, f"no sub-command {name}"
    known = {s for a in sub[name]._actions for s in a.option_strings} if name in sub else set()
    assert {w for w in rest if w.startswith("-")} <= known


@pytest.mark.parametrize("command", [c for c in DOCUMENTED if c.program == "pytest"], ids=_id)
def test_every_documented_pytest_command_names_known_options_and_markers(
    command: Command, pytestconfig: pytest.Config
) -> None:
    words = list(command.args)
    for word in words:
        if word.startswith("--conformance-"):
            pytestconfig.getoption(word[2:].replace("-", "_"))  # ValueError when unknown
    markers = {line.split(":")[0].split("(")[0] for line in pytestconfig.getini("markers")}
    for expression in (words[i + 1] for i, w in enumerate(words) if w == "-m"):
        names = set(re.findall(r"\w+", expression)) - {"and", "or", "not"}
        assert names <= markers, f"unknown markers {names - markers}"


def block(text: str, containing: str) -> list[str]:
    (found,) = (b for b in blocks(text) if containing in b)
    return shell_lines(found)


def free_port_pair() -> int:
    """A loopback port whose successor is free too (the reference wallet's gateway takes it).

    Both are below the kernel's ephemeral range, so no connection another test opens meanwhile,
    and no bind to port 0, can take them between this check and the commands' own binds."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random(os.getpid())
    while True:
        port = rng.randrange(max(low - 12_000, 1024), low - 1)
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


class Shell:
    """Documented lines, typed as a user would in one folder, with only the wheel installed."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env, self.port = home, env, free_port_pair()
        self.wallets: list[subprocess.Popen[bytes]] = []
        self.ran: list[list[str]] = []

    def run(self, line: str, expect: int | None = None) -> str:
        # The documented port and /tmp/ are shared by everything on this machine; these are ours.
        line = line.replace("8470", str(self.port)).replace("/tmp/", f"{self.home}/")
        words = shlex.split(line, comments=True)
        self.ran.append(words)
        # Fewer generated cases than the default 25: the same code paths, a fraction of the time.
        if words[:2] == ["conformance", "run"]:
            words += ["--examples", EXAMPLES]
        elif words[0] == "pytest":
            words += ["--conformance-examples", EXAMPLES]
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            self.env[name] = value
        elif words[0] == "sleep":
            self._await_wallet()  # "let it start": wait until it listens, however long that is
        elif words == ["kill", "%1"]:
            self.stop()
        elif words[-1] == "&":
            log = (self.home / "wallet.log").open("ab")
            self.wallets.append(
                subprocess.Popen(words[:-1], cwd=self.home, env=self.env, stdout=log, stderr=log)
            )
        else:
            code = expect if expect is not None else int((_EXITS.findall(line) or ["0"])[0])
            done = subprocess.run(
                words,
                cwd=self.home,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            output = done.stdout + done.stderr
            assert done.returncode == code, f"{line}: exit {done.returncode}\n{output[-3000:]}"
            return output
        return ""

    def _await_wallet(self, within: float = 120.0) -> None:
        end = time.monotonic() + within
        while True:
            log = self.home / "wallet.log"
            assert self.wallets[-1].poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < end, f"no wallet listens within {within:g} s: {log}"
                subprocess.run(["sleep", "0.1"], check=True)

    def stop(self) -> None:
        for wallet in self.wallets:
            wallet.terminate()
            wallet.wait(timeout=60)
        self.wallets.clear()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    site, home = tmp_path / "site", tmp_path / "wallet-team"
    env = install(build(tmp_path / "dist").wheel, site)
    # Another distribution's top-level schemas/ beside the package must not pass for the contract.
    (site / "schemas").mkdir()
    (site / "schemas/other.json").write_text("{}")
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}  # not this test's run
    home.mkdir()
    session = Shell(home, env)
    yield session
    session.stop()


def certified(results: Path) -> bool:
    doc = json.loads(results.read_text())
    return bool(doc["verdict"] == "CERTIFIED" and doc["suite"]["version"] == __version__)


@pytest.mark.packaging
def test_documented_commands_run_from_the_installed_wheel(shell: Shell) -> None:
    home = shell.home
    where = shell.run("python -c 'import conformance; print(conformance.__file__)'")
    assert where.startswith(str(home.parent / "site")) and str(ROOT) not in where
    assert shell.run("conformance --version").strip() == f"mpp-conformance {__version__}"
    # Guide, section 1, from the wheel: certify the embedded reference wallet into reports/.
    shell.run(block(GUIDE, "pip install mpp_conformance-")[-1])
    assert certified(home / "reports/results.json") and (home / "reports/report.html").is_file()
    # README, the release gate (the waiver file is the team's own: that line is only parsed).
    (home / "last-release").mkdir()
    shutil.copy(home / "reports/results.json", home / "last-release/results.json")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (home / "certifier.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    for line in block(README, "conformance verify-report"):
        if "--waivers" not in line:
            shell.run(line)
    assert (home / "reports/certification.zip").is_file()
    for line in ("conformance requirements", "conformance faults", "conformance init"):
        shell.run(line)
    shell.run("conformance export-openapi -o openapi.json")
    validate(json.loads((home / "openapi.json").read_text()))
    shell.run("conformance render reports/results.json")
    # Guide, section 1: scaffold a profile, serve the reference wallet with the key, certify.
    for line in block(GUIDE, "conformance init --dir mywallet"):
        shell.run(line)
    assert certified(home / "mywallet/reports/results.json")
    # README: a faulty wallet started by hand; then, while it runs, replay, the plugin, listen.
    faulty = block(README, "--fault scope-leak --profile-out")
    for line in faulty[:-1]:
        assert "IUI-SCOPE-NO-EXTRA" in shell.run(line) or "exits" not in line
    shutil.copy(home / "ref.toml", home / "staging.toml")
    replay = "--results reports/results.json --requirement IUI-SCOPE-NO-EXTRA"
    shell.run(f"conformance replay {replay} --profile staging.toml", expect=1)  # it reproduces
    plugin = shell.run(block(GUIDE, "pytest --conformance-profile")[2], expect=1)
    assert "IUI-SCOPE-NO-EXTRA" in plugin
    shell.run("conformance listen --profile staging.toml --duration 1", expect=1)  # none arrived
    assert "ok     wallet (inquiryUserInfo)" in shell.run(
        "conformance doctor --profile staging.toml"
    )
    # README: the observing proxy in front of the running wallet, for a moment with no traffic.
    (observe,) = [
        line
        for line in block(README, "conformance observe --profile staging.toml --role wallet")
        if "--role wallet" in line
    ]
    listen = f"127.0.0.1:{free_port_pair()}"
    upstream = f"http://127.0.0.1:{shell.port}"
    shell.run(
        observe.replace("https://staging.wallet.example", upstream).replace("0.0.0.0:8470", listen)
        + " --duration 1"
    )
    assert (home / "reports/observation.json").is_file()
    shell.run(faulty[-1])
    # Every sub-command the two documents show ran here, from the wheel.
    ran = {words[1] for words in shell.ran if words[0] == "conformance"}
    assert {c.args[0] for c in DOCUMENTED if c.program == "conformance"} <= ran

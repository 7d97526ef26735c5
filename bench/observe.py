"""What `conformance observe` adds to real traffic, on loopback: latency and memory.

The reference wallet and the proxy each run in a process of their own. The same pre-signed
requests are sent one at a time straight to the wallet and then through the proxy; the script
prints the client-side latency of both, the difference, the proxy's own measure of what it added,
and the proxy's memory at the start, middle and end of the proxied run.

Usage: python bench/observe.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from conformance import signing
from conformance.reference import data

HERE = Path(__file__).resolve().parent


def rss(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu(pid: int) -> float:
    """CPU seconds a process has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def signed(url: str, n: int) -> list[tuple[bytes, dict[str, str]]]:
    auth = signing.RSA256Auth(data.ALIPAYPLUS_CLIENT_ID, data.private_key("alipayplus"))
    out = []
    for i in range(n):
        seed = data.SEEDS[i % 4]
        body = json.dumps(
            {"pspId": data.PSP_ID, "acquirerId": data.ACQUIRER_ID, "accessToken": seed.token}
        ).encode()
        headers = auth.headers_for("POST", data.PATHS["inquiryUserInfo"], body)
        out.append((body, {"Content-Type": "application/json; charset=UTF-8", **headers}))
    return out


def timed(url: str, requests: list[tuple[bytes, dict[str, str]]], probe: int = 0) -> list[float]:
    """Seconds per request, one at a time on one connection; samples the proxy's memory."""
    out, marks = [], {0, len(requests) // 2, len(requests) - 1}
    with httpx.Client() as http:
        for i, (body, headers) in enumerate(requests):
            start = time.perf_counter()
            http.post(url + data.PATHS["inquiryUserInfo"], content=body, headers=headers)
            out.append(time.perf_counter() - start)
            if probe and i in marks:
                print(f"    proxy memory after {i + 1:>6} requests: {rss(probe):6.1f} MiB")
    return out


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    return f"median {1000 * statistics.median(values):6.3f} ms, p95 {1000 * p95:6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    n = parser.parse_args().requests
    wallet = subprocess.Popen(
        [sys.executable, str(HERE / "server.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert wallet.stdout is not None and wallet.stdin is not None
    url = wallet.stdout.readline().decode().strip()
    folder = Path(tempfile.mkdtemp())
    proxy = subprocess.Popen(
        [sys.executable, "-m", "conformance", "observe", "--upstream", url, "--role", "wallet"]
        + ["--listen", "127.0.0.1:0", "--report", str(folder / "observation.html")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proxy.stdout is not None
    proxied = proxy.stdout.readline().split(": ", 1)[1].split(" ", 1)[0]
    try:
        requests = signed(url, n)
        timed(url, requests[:200])  # warm both paths up
        timed(proxied, requests[:200])
        direct = timed(url, requests)
        print(f"{n} requests, one at a time, reference wallet on loopback")
        used = cpu(proxy.pid)
        through = timed(proxied, requests, probe=proxy.pid)
        used = cpu(proxy.pid) - used
        print(f"  direct:        {ms(direct)}")
        print(f"  through proxy: {ms(through)}")
        added = [b - a for a, b in zip(sorted(direct), sorted(through), strict=True)]
        print(f"  difference:    {ms(added)} (by rank)")
        print(f"  proxy CPU per request (forwarding and judging): {1000 * used / n:.2f} ms")
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.communicate(timeout=120)
        wallet.stdin.close()
        wallet.wait(timeout=15)
    seen = json.loads((folder / "observation.json").read_text())["observation"]
    lat = seen["added_latency_ms"]
    print(
        f"  the proxy's own measure of what it added: median {lat['median']} ms, "
        f"p95 {lat['p95']} ms, max {lat['max']} ms over {lat['samples']} exchanges; "
        f"{seen['judged']} of {seen['exchanges']} judged"
    )


if __name__ == "__main__":
    main()

"""Which answers the network spoiled: no answer at all, or a page from an intermediary.

Such an answer says nothing of the wallet, so the case is re-sent with the same parameters
(contract-notes.md §5: "U or no response: retry with the same parameters"), and only the wallet's
own answer is judged.
"""

from __future__ import annotations

from conformance.core.model import Disturbance, Exchange

# A load balancer or gateway in front of the wallet answers these itself when the wallet is away.
PAGES = frozenset({502, 503, 504})
# The order in which reports list the kinds.
KINDS = ("reset", "timeout", "no connection", "502 page", "503 page", "504 page")
# Transport failures of one connection (the step as httpx names it): the next attempt may pass.
RESETS = ("ReadError", "WriteError", "RemoteProtocolError", "NetworkError", "CloseError")
NO_CONNECTION = ("ConnectError", "ProxyError")
PAGE_PREVIEW = 80


def kind(ex: Exchange) -> str | None:
    """The kind of disturbance this answer is, or None when it is the wallet's own answer."""
    r = ex.response
    if r is None:
        return failure(ex.error or "")
    # The wallet signs what it sends and answers in JSON; a page with neither is not its own.
    if r.header("signature") is None:
        return page(r.status, r.json())
    return None


def failure(error: str) -> str | None:
    """The kind of disturbance a failure with no answer is (its text starts with the step that
    failed, as httpx names it), or None."""
    if error.startswith("timeout"):
        return "timeout"
    if error.startswith(RESETS):
        return "reset"
    if error.startswith(NO_CONNECTION):
        return "no connection"
    return None  # the request itself cannot be written: every attempt would fail alike


def page(status: int, parsed: object) -> str | None:
    """An intermediary's page (502, 503, 504 and not JSON) as a disturbance's kind, or None."""
    return f"{status} page" if status in PAGES and parsed is None else None


def disturbance(ex: Exchange) -> Disturbance | None:
    """This attempt as a disturbance, or None when the wallet answered it."""
    found = kind(ex)
    if found is None:
        return None
    if ex.response is None:
        return Disturbance(ex.attempts, found, ex.error or "")
    page = ex.response.body[:PAGE_PREVIEW].decode("utf-8", "replace")
    more = "…" if len(ex.response.body) > PAGE_PREVIEW else ""
    return Disturbance(
        ex.attempts,
        found,
        f"HTTP {ex.response.status} without Signature, not JSON: {page!r}{more}",
    )


def ordered(counts: dict[str, int]) -> dict[str, int]:
    """Counts per kind in report order, kinds never seen left out."""
    known = [k for k in KINDS if counts.get(k)]
    return {k: counts[k] for k in known + sorted(set(counts) - set(KINDS)) if counts[k]}

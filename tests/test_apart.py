"""The embedded reference servers in processes of their own (conformance/reference/apart.py): they
answer as the in-process ones do, stop with the run, and a child that cannot start says so."""

from __future__ import annotations

import httpx
import pytest

from conformance import signing
from conformance.contract.spec import contract
from conformance.generation.mutations import compact
from conformance.generation.strategies import base_body
from conformance.reference import apart, data

API = "inquiryUserInfo"


def _ask(url: str) -> httpx.Response:
    """One valid, signed inquiryUserInfo request."""
    profile = data.embedded_profile()
    assert profile.suite_private_key is not None
    token = next(t for t in profile.tokens if t.state == "valid")
    body = compact(base_body(contract().apis[API], profile, token.access_token))
    auth = signing.RSA256Auth(
        profile.client_id, profile.suite_private_key, profile.key_version, signing.Tamper()
    )
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    return httpx.post(url + data.PATHS[API], content=body, headers=headers, auth=auth, timeout=30)


def test_a_child_serves_the_variant_named_and_stops_with_its_run() -> None:
    with apart.serve_apart("wallet", None) as url:
        assert _ask(url).json()["result"]["resultCode"] == "SUCCESS"
    with pytest.raises(httpx.ConnectError):
        _ask(url)
    with apart.serve_apart("wallet", "scope-leak") as url:
        leaked = _ask(url).json()["userInfo"]
    assert set(leaked) - {"userId"}  # the variant, not the reference: more than the scope grants


def test_a_child_started_ahead_is_taken_once_and_one_never_taken_ends() -> None:
    apart.prestart("alipayplus", None)
    apart.prestart("wallet", None)
    with apart.serve_apart("wallet", None) as url:
        assert _ask(url).status_code == 200
        assert ("wallet", "reference") not in apart._STARTED
        unused = apart._STARTED[("alipayplus", "reference")]
        apart._stop_unused()  # what the end of the run does
        assert unused.poll() is not None and not apart._STARTED


def test_a_child_that_cannot_start_is_a_clear_error() -> None:
    with (
        pytest.raises(RuntimeError, match="the reference wallet did not start"),
        apart.serve_apart("wallet", "no-such-variant"),
    ):
        pass
    with pytest.raises(ValueError, match="not one of wallet, alipayplus"):
        apart.prestart("gateway", None)

"""TLS: verification is on by default, a private CA is trusted with --ca-bundle, client
certificates work."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from conformance.core.exitcodes import EXIT_PARTIAL
from conformance.profile.tls import Tls
from conformance.reference.chaos import Chaos, profile_toml
from conformance.reference.threaded import serve

from .conftest import Certify, statuses

TOKEN_TEST = "test_inactive_or_unknown_token_refused"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A private CA, the wallet's server certificate and the suite's client certificate, as PEM
    files."""
    ca, folder = trustme.CA(), tmp_path_factory.mktemp("pki")
    files = {name: folder / f"{name}.pem" for name in ("ca", "server", "client")}
    ca.cert_pem.write_to_path(str(files["ca"]))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(files["server"]))
    ca.issue_cert("suite@alipayplus.example").private_key_and_cert_chain_pem.write_to_path(
        str(files["client"])
    )
    return files


@pytest.fixture(scope="module")
def https(pki: dict[str, Path]) -> Iterator[str]:
    with serve(Chaos(), ssl_certfile=str(pki["server"])) as url:
        yield url


@pytest.fixture(scope="module")
def mutual(pki: dict[str, Path]) -> Iterator[str]:
    with serve(
        Chaos(),
        ssl_certfile=str(pki["server"]),
        ssl_ca_certs=str(pki["ca"]),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    ) as url:
        yield url


def run(
    certify: Certify, tmp_path: Path, url: str, *args: str, extra: str = ""
) -> tuple[int, dict[str, Any]]:
    profile = tmp_path / "p.toml"
    profile.write_text(profile_toml(url, "ok", 2.0, extra))
    return certify("--profile", str(profile), "--only", TOKEN_TEST, *args, examples=2)


def errors(results: dict[str, Any]) -> str:
    row = next(r for r in results["requirements"] if r["id"] == "IUI-TRANSPORT-ANSWER")
    return " ".join(str(x["error"]) for ev in row["evidence"] for x in ev["exchanges"])


def test_an_untrusted_certificate_is_refused(certify: Certify, tmp_path: Path, https: str) -> None:
    code, results = run(certify, tmp_path, https)
    assert code == 3 and "IUI-TRANSPORT-ANSWER" in statuses(results, "failed")
    assert "CERTIFICATE_VERIFY_FAILED" in errors(results)


def test_a_private_ca_is_trusted_with_ca_bundle(
    certify: Certify, tmp_path: Path, https: str, pki: dict[str, Path]
) -> None:
    code, results = run(certify, tmp_path, https, "--ca-bundle", str(pki["ca"]))
    assert code == EXIT_PARTIAL and statuses(results, "failed", "warned") == set()


def test_client_certificate_from_the_profile(
    certify: Certify, tmp_path: Path, mutual: str, pki: dict[str, Path]
) -> None:
    code, results = run(certify, tmp_path, mutual, "--ca-bundle", str(pki["ca"]))
    assert code == 3  # the wallet wants a client certificate
    tls = f'[tls]\nca_bundle = "{pki["ca"]}"\nclient_cert = "{pki["client"]}"\n'
    code, results = run(certify, tmp_path, mutual, extra=tls)
    assert code == EXIT_PARTIAL and statuses(results, "failed", "warned") == set()


def test_a_missing_tls_file_is_one_line_naming_the_field(
    certify: Certify, tmp_path: Path, https: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(certify, tmp_path, https, extra='[tls]\nclient_cert = "nowhere.pem"\n')
    err = capsys.readouterr().err.strip()
    assert (
        code == 2
        and err.startswith("conformance: error: [tls] client_cert: file ")
        and "\n" not in err
    )


def test_the_public_context_is_made_once_and_shared_with_no_other(pki: dict[str, Path]) -> None:
    """Each profile read checks its [tls] by making its context: the public CAs' is made once;
    a private CA or a client certificate always gets a context of its own."""
    public = Tls().context()
    assert Tls().context() is public
    assert Tls(ca_bundle=pki["ca"]).context() is not public
    assert Tls(client_cert=pki["client"]).context() is not public
    loaded = [str(cert["subject"]) for cert in public.get_ca_certs()]
    assert loaded and not any("trustme" in subject for subject in loaded)  # the private CA's
    mixed = Tls(ca_bundle=pki["ca"]).context().get_ca_certs()
    assert any("trustme" in str(cert["subject"]) for cert in mixed)  # (so the check can fail)

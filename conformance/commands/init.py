"""`conformance init`: scaffold a target profile and a suite key pair for a new wallet."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from conformance.commands.term import error
from conformance.contract.spec import alipaycn_acquirer_id
from conformance.core.exitcodes import EXIT_OK, EXIT_USAGE
from conformance.profile import PLACEHOLDER

DEFAULT_ACQUIRER = alipaycn_acquirer_id()  # AlipayCN's, fixed by the page
TOKEN_ENV = "MPP_TOKEN_BASE"
SDK_FORMATS = """\
Key formats the official Alipay+ SDKs take:
  - Official Python SDK: private key PKCS#1 PEM (BEGIN RSA PRIVATE KEY, the default here),
    public key X.509 SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY).
  - Official Java SDK: private key PKCS#8 (BEGIN PRIVATE KEY; conformance init --key-format pkcs8).
  - Both SDKs, and this suite's profile, also take a key as one bare base64 DER string."""

# option dest -> what the user must write instead, shown in the placeholder and in the error
FILL = {
    "base_url": "the wallet's staging base URL, e.g. https://staging.wallet.example",
    "client_id": "the Client-Id your wallet knows Alipay+ by, e.g. SANDBOX_5YC47N2ZQHJ004124",
    "psp_id": "the pspId Alipay+ assigned to your wallet",
    "path": "the path your wallet registered for inquiryUserInfo, starting with /",
    "wallet_public_key": (
        "the path to your wallet's RSA public key (PEM or bare base64), or PEM text"
    ),
}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "init",
        help="scaffold a target profile and a suite key pair for a new wallet",
        description="Write a commented target profile and an RSA-2048 key pair the suite signs "
        "with, "
        "then print the public key your wallet must register. Non-interactive: values "
        "not given as options are written as placeholders to fill in.",
    )
    p.add_argument("--dir", type=Path, default=Path("."), help="folder to write into (default: .)")
    p.add_argument(
        "--profile", default="staging.toml", help="profile file name (default: staging.toml)"
    )
    p.add_argument("--base-url", help="the wallet's staging base URL")
    p.add_argument("--client-id", help="the Client-Id the suite presents as Alipay+")
    p.add_argument("--psp-id", help="the pspId Alipay+ assigned to the wallet")
    p.add_argument(
        "--acquirer-id",
        default=DEFAULT_ACQUIRER,
        help=f"acquirerId to send (default {DEFAULT_ACQUIRER})",
    )
    p.add_argument(
        "--path", help="the wallet's inquiryUserInfo path, e.g. /v1/alipayplus/inquiryUserInfo"
    )
    p.add_argument(
        "--wallet-public-key", help="path to the wallet's public key, as written in the profile"
    )
    p.add_argument(
        "--token-env",
        default=TOKEN_ENV,
        help=f"environment variable holding a valid access token (default {TOKEN_ENV})",
    )
    p.add_argument(
        "--key-format",
        choices=("pkcs1", "pkcs8"),
        default="pkcs1",
        help="private key format: pkcs1 (Python SDK, default) or pkcs8 (Java SDK)",
    )
    p.add_argument(
        "-i", "--interactive", action="store_true", help="ask for each value not given as an option"
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the public key")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the profile written")


def _string(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _value(values: Mapping[str, str | None], name: str) -> str:
    given = values.get(name)
    return _string(given if given else f"{PLACEHOLDER}{FILL[name]}>")


def render(values: Mapping[str, str | None]) -> str:
    """The commented profile; every value not given is a placeholder profile loading refuses."""
    v = values
    return f"""\
# Target profile written by `conformance init`: the wallet to certify, and how to talk to it.
# Replace every "{PLACEHOLDER}...>" value, then run: conformance run --profile <this file>
# Any value may be written {{ env = "NAME" }} to read it from the environment variable NAME:
# do that for every secret (access tokens, the suite's private key) so it never sits in a file.

[target]
# Where the suite sends requests as Alipay+: your staging wallet (http or https).
base_url = {_value(v, "base_url")}
# The Client-Id the suite presents as Alipay+ in the Client-Id header.
client_id = {_value(v, "client_id")}
# pspId sent in every inquiryUserInfo request.
psp_id = {_value(v, "psp_id")}
# acquirerId sent in every request (default: AlipayCN's fixed value).
acquirer_id = {_string(v.get("acquirer_id") or DEFAULT_ACQUIRER)}
# Seconds the suite waits for each answer before recording "no answer".
timeout = 10

[target.paths]
# Alipay+ defines no path for inquiryUserInfo: each wallet registers its own.
inquiryUserInfo = {_value(v, "path")}

[keys]
# The suite signs its requests with this key. Register its public key (keys/suite-public.pem)
# with your staging wallet as Alipay+'s key for the client_id above and key_version below.
# In CI: suite_private_key = {{ env = "MPP_SUITE_PRIVATE_KEY" }} (PEM text or bare base64).
suite_private_key = {_string(v.get("suite_private_key") or "keys/suite-private.pem")}
# Your wallet's public key: the suite verifies the signature of every response with it.
# PEM (X.509 SubjectPublicKeyInfo) or bare base64; a path relative to this file, or the text.
wallet_public_key = {_value(v, "wallet_public_key")}
# keyVersion the suite puts in its Signature header (the official SDKs use 1).
key_version = "1"

# Access tokens your wallet issued for test users; each is a secret, so it comes from the
# environment. Add one [[tokens]] per scope you support (BASE_USER_INFO, USER_LOGIN_ID,
# HASH_LOGIN_ID), and expired or revoked ones if you can: each adds requirements to the run.
[[tokens]]
access_token = {{ env = {_string(v.get("token_env") or TOKEN_ENV)} }}
scopes = ["BASE_USER_INFO"]
state = "valid"
# Optional: the values this token must resolve to.
# [tokens.expect]
# userId = "2160120012345678"

# One token per scope you support: each is certified to return that scope's fields, and only them.
# [[tokens]]
# access_token = {{ env = "MPP_TOKEN_LOGIN_ID" }}
# scopes = ["USER_LOGIN_ID"]
# state = "valid"
#
# [[tokens]]
# access_token = {{ env = "MPP_TOKEN_HASH_LOGIN_ID" }}
# scopes = ["HASH_LOGIN_ID"]
# state = "valid"
#
# [[tokens]]
# access_token = {{ env = "MPP_TOKEN_ALL_SCOPES" }}
# scopes = ["BASE_USER_INFO", "USER_LOGIN_ID", "HASH_LOGIN_ID"]
# state = "valid"

# Tokens your wallet must refuse: each is sent once, and must get INVALID_TOKEN.
# [[tokens]]
# access_token = {{ env = "MPP_TOKEN_EXPIRED" }}
# scopes = ["BASE_USER_INFO"]
# state = "expired"
#
# [[tokens]]
# access_token = {{ env = "MPP_TOKEN_REVOKED" }}
# scopes = ["BASE_USER_INFO"]
# state = "revoked"

# Optional: raise or lower a requirement's level (IDs in docs/requirements.md).
# [requirements]
# "IUI-TRANSPORT-HTTP-200" = "MUST"
"""


def _ask(values: dict[str, str | None], prompt: Callable[[str], str]) -> None:
    for name, what in FILL.items():
        if not values.get(name):
            try:
                values[name] = prompt(f"{what}: ").strip() or None
            except EOFError:  # no one to ask: the rest stay placeholders
                return


def _write(path: Path, data: bytes, mode: int) -> None:
    """Create the file with its permissions from the start, so a private key is never
    world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(
        path, mode
    )  # O_CREAT's mode is masked by the umask, and an existing file keeps its own


def run(args: argparse.Namespace) -> int:
    from conformance import signing

    folder: Path = args.dir
    profile, private, public = (
        folder / args.profile,
        folder / "keys/suite-private.pem",
        folder / "keys/suite-public.pem",
    )
    existing = [p for p in (profile, private, public) if p.exists()]
    if existing and not args.force:
        error(
            f"{', '.join(map(str, existing))} already exist(s); pass --force to overwrite, "
            "or --dir to write elsewhere"
        )
        return EXIT_USAGE
    wallet_key = args.wallet_public_key
    if wallet_key and not (folder / wallet_key).exists() and Path(wallet_key).exists():
        wallet_key = str(Path(wallet_key).resolve())  # given relative to here, not to the profile
    values: dict[str, str | None] = {
        "base_url": args.base_url,
        "client_id": args.client_id,
        "psp_id": args.psp_id,
        "acquirer_id": args.acquirer_id,
        "path": args.path,
        "wallet_public_key": wallet_key,
        "token_env": args.token_env,
    }
    if args.interactive:
        _ask(values, input)
    key = signing.generate_private_key()
    try:
        private.parent.mkdir(parents=True, exist_ok=True)
        _write(private, signing.private_key_pem(key, args.key_format), 0o600)
        _write(public, signing.public_pem(key.public_key()), 0o644)
        _write(profile, render(values).encode("utf-8"), 0o644)
        ignore = private.parent / ".gitignore"
        if not ignore.exists():  # keep the private key out of the team's repository
            _write(ignore, f"{private.name}\n".encode(), 0o644)
    except OSError as exc:
        error(f"cannot write into {folder} ({exc.strerror}); choose another --dir")
        return EXIT_USAGE
    pem = signing.public_pem(key.public_key()).decode("ascii")
    if args.quiet:
        print(pem, end="")
    else:
        _explain(
            values, profile, (private, public), pem, signing.public_key_base64(key.public_key())
        )
        if args.verbose:
            print("\n" + profile.read_text(encoding="utf-8"))
    return EXIT_OK


def _explain(
    values: Mapping[str, str | None],
    profile: Path,
    keys: tuple[Path, Path],
    pem: str,
    one_line: str,
) -> None:
    """What was written, the key to register, the SDKs' key formats, and what to do next."""
    missing = [name for name in FILL if not values.get(name)]
    print(
        f"Wrote {profile}, {keys[0]} (mode 0600: keep it secret, never commit it) and {keys[1]}.\n"
    )
    print(
        "Register this public key with your staging wallet as Alipay+'s key "
        f"(Client-Id {values['client_id'] or 'of the profile'}, keyVersion 1):\n"
    )
    print(pem)
    print(f"The same key as one base64 line (X.509 SubjectPublicKeyInfo DER):\n{one_line}\n")
    print(SDK_FORMATS + "\n")
    print("Next:")
    if missing:
        print(f"  - fill in {', '.join(missing)} in {profile}")
    print(
        f"  - export {values['token_env']}=<a valid access token your wallet issued for a test "
        f"user>"
    )
    print(f"  - conformance doctor --profile {profile}   (checks the set-up in seconds)")
    print(f"  - conformance run --profile {profile}")

"""Checks that compare an answer with what the case expects: success, refusal, scopes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from conformance.checks.registry import Context, Violation, check
from conformance.checks.response import has_result
from conformance.core.model import Exchange


def _got(ex: Exchange) -> str:
    if ex.response is None:
        return ex.error or "no response"
    if not ex.result:
        return f"HTTP {ex.response.status} without a result"
    return f"{ex.result_status}/{ex.code}"


def _user_info(ex: Exchange) -> Any:
    body = ex.body
    return body.get("userInfo") if isinstance(body, dict) else None


@check(applies=lambda ex: ex.case.expect.requirement is not None, chosen=True)
def expectation(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    exp = ex.case.expect
    assert exp.requirement is not None
    found: dict[str, list[Violation]] = {exp.requirement: []}
    if exp.outcome == "success":
        if not (ex.code == "SUCCESS" and ex.result_status == "S"):
            found[exp.requirement].append(
                (f"{ex.case.title} did not succeed", "S/SUCCESS", _got(ex))
            )
        return found
    if ex.response is None:
        return {}  # TRANSPORT-ANSWER reports silence
    if ex.code == "SUCCESS" or _user_info(ex) is not None:
        found[exp.requirement].append(
            (
                f"{ex.case.title} was not refused",
                "a refusal without userInfo",
                _got(ex) + (" with userInfo" if _user_info(ex) else ""),
            )
        )
    if exp.code_requirement and exp.codes and ex.code != "SUCCESS":
        found.setdefault(exp.code_requirement, [])
        if ex.code not in exp.codes:
            want = " or ".join(sorted(exp.codes))
            found[exp.code_requirement].append(
                (f"{ex.case.title} answered with another code", f"F/{want}", _got(ex))
            )
    return found


@check("USERINFO-ONLY-SUCCESS", applies=has_result)
def user_info_only_on_success(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    found: list[Violation] = []
    if ex.code != "SUCCESS" and _user_info(ex) is not None:
        found.append((f"userInfo returned with {ex.code}", "no userInfo", "userInfo present"))
    return {"USERINFO-ONLY-SUCCESS": found}


def scope_fields(ctx: Context) -> Mapping[str, str]:
    """field -> scope, from the x-scope annotations of User.json."""
    props = ctx.contract.resolve("User.json").get("properties", {})
    return {name: sub["x-scope"] for name, sub in props.items() if "x-scope" in sub}


def _granted_success(ex: Exchange) -> bool:
    return ex.case.expect.outcome == "success" and ex.code == "SUCCESS"


@check("SCOPE-NO-EXTRA", "SCOPE-COMPLETE", "USERINFO-EXPECTED", applies=_granted_success)
def scopes(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    exp, info = ex.case.expect, _user_info(ex)
    info = info if isinstance(info, dict) else {}
    extra: list[Violation] = []
    missing: list[Violation] = []
    fields = scope_fields(ctx)
    for name, scope in fields.items():
        present = info.get(name) is not None
        if present and scope not in exp.scopes:
            extra.append(
                (
                    f"userInfo.{name} returned without scope {scope}",
                    f"only fields of {', '.join(sorted(exp.scopes)) or 'no scope'}",
                    name,
                )
            )
        if not present and scope in exp.scopes:
            missing.append(
                (f"userInfo.{name} missing although scope {scope} was granted", name, "(absent)")
            )
    if exp.scopes <= set(fields.values()):  # a scope the documents give no fields may map to any
        extra += [
            (
                f"userInfo.{name} returned, a field no granted scope maps to",
                f"only fields of {', '.join(sorted(exp.scopes)) or 'no scope'}",
                name,
            )
            for name, value in info.items()
            if name not in fields and value is not None
        ]
    found: dict[str, list[Violation]] = {"SCOPE-NO-EXTRA": extra, "SCOPE-COMPLETE": missing}
    if exp.values:  # absent fields and non-strings are SCOPE-COMPLETE's and RESP-STRING's to report
        found["USERINFO-EXPECTED"] = [
            (f"userInfo.{k} differs from the profile's expectation", v, repr(info.get(k)))
            for k, v in exp.values
            if isinstance(info.get(k), str) and info.get(k) != v
        ]
    return found


# The parameter of an AlipayCN authorization URL that names the merchant's redirect.
REDIRECT_PARAM = "redirect_uri"


def _named_redirect(ex: Exchange) -> str | None:
    """The redirect the request's authUrl names, if it names exactly one."""
    auth_url = _request_field(ex, "authUrl")
    if not isinstance(auth_url, str):
        return None
    named = parse_qs(urlsplit(auth_url).query).get(REDIRECT_PARAM, [])
    return named[0] if len(named) == 1 else None


def _place(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path or "/"


@check("ACQUIRER-ECHO", applies=lambda ex: has_result(ex) and ex.code == "SUCCESS")
def acquirer_echo(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    """A SUCCESS names the acquirer the request named."""
    sent, body = _request_field(ex, "acquirerId"), ex.body
    got = body.get("acquirerId") if isinstance(body, dict) else None
    if not isinstance(sent, str) or not isinstance(got, str):
        return {}  # none sent (a probe's), or none returned (SUCCESS-FIELDS reports that)
    found: list[Violation] = []
    if got != sent:
        found.append(("acquirerId is not the one the request named", sent, got))
    return {"ACQUIRER-ECHO": found}


@check("PSPID-ECHO", applies=lambda ex: has_result(ex) and ex.code == "SUCCESS")
def psp_id_echo(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    """A SUCCESS names the MPP that asked: the pspId the profile declares for the wallet."""
    body = ex.body
    got = body.get("pspId") if isinstance(body, dict) else None
    if not ctx.psp_id or not isinstance(got, str):
        return {}  # no pspId declared, or none returned (SUCCESS-FIELDS reports that)
    found: list[Violation] = []
    if got != ctx.psp_id:
        found.append(("pspId is not the requesting wallet's", ctx.psp_id, got))
    return {"PSPID-ECHO": found}


def _request_field(ex: Exchange, name: str) -> Any:
    try:
        body = json.loads(ex.request.body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body.get(name) if isinstance(body, dict) else None


@check("REDIRECT-NAMED", applies=lambda ex: has_result(ex) and ex.code == "SUCCESS")
def redirect_named(ex: Exchange, ctx: Context) -> Mapping[str, list[Violation]]:
    """authRedirectUrl is the redirect the authUrl names: its place and every query parameter kept
    (Alipay+ may add its own)."""
    body, named = ex.body, _named_redirect(ex)
    got = body.get("authRedirectUrl") if isinstance(body, dict) else None
    if named is None or not isinstance(got, str):
        return {}  # no redirect named, or none returned (SUCCESS-FIELDS reports that)
    found: list[Violation] = []
    if _place(got) != _place(named):
        found.append(("authRedirectUrl is not the redirect the authUrl names", named, got))
    kept = parse_qsl(urlsplit(got).query, keep_blank_values=True)
    lost = [
        f"{k}={v}"
        for k, v in parse_qsl(urlsplit(named).query, keep_blank_values=True)
        if (k, v) not in kept
    ]
    if lost:
        message = f"authRedirectUrl drops or changes the merchant's parameters {', '.join(lost)}"
        found.append((message, named, got))
    return {"REDIRECT-NAMED": found}

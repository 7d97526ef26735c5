"""One reader for every configuration table: each key read as a typed value, or one error line
naming `[table] key`, what is wrong and the fix."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NoReturn, TypeVar, overload
from urllib.parse import urlsplit

from conformance import signing
from conformance.core.errors import ConfigError, ProfileError
from conformance.profile.carriers import LONGEST_URL, PATH, TEXT, VISIBLE, Carrier, flaw, url_flaw
from conformance.profile.fields import from_env, key_bytes

K = TypeVar("K")
_REQUIRED: Any = object()  # the default of a key that must be given
LONGEST_TEXT = 4096  # a sane bound for a value the documents give no maximum length for
LONGEST_KEY = 65_536  # a key given as PEM text
PRIVATE = "an RSA private key (PKCS#1 or PKCS#8)"
PUBLIC = "an RSA public key (X.509 SubjectPublicKeyInfo)"


def located(where: str, key: str) -> str:
    """The one way an error names a field: the table, a space, the key."""
    return f"{where} {key}" if where and key else where or key


def http_url(value: str, where: str, fix: str, error: type[ConfigError] = ProfileError) -> str:
    """An http(s) URL without its trailing slash (a profile's value or a command-line option)."""
    try:
        parts = urlsplit(value)
        credentials = parts.username is not None or parts.password is not None
    except ValueError:
        credentials = False  # not a URL at all: url_flaw says why
    if credentials:
        # Never echoed: the part before @ may be a password.
        raise error(where, "carries credentials (user:password@)", "remove them from the URL")
    if (found := url_flaw(value)) is not None:
        # Echoed only when every character is printable ASCII, so the line stays one line.
        shown = f"{value!r} " if set(value) <= VISIBLE and len(value) <= 200 else ""
        raise error(where, shown + found, fix)
    return value.rstrip("/")


def one_of(
    value: Any, options: Sequence[str], where: str, error: type[ConfigError] = ProfileError
) -> str:
    """One of a few names (a profile's value or a command-line option)."""
    if value not in options:
        raise error(where, f"is {value!r}", f"use one of {', '.join(options)}")
    return str(value)


@dataclass(frozen=True)
class Table:
    """A TOML table and where it stands in its file."""

    data: Mapping[str, Any]
    where: str = ""  # "[target]", "[[tokens]] #1", "waivers.toml [[waiver]] #2"; "" for the file
    base: Path = Path(".")  # the folder relative file paths resolve against
    error: type[ConfigError] = ProfileError
    env: bool = True  # whether `{ env = "NAME" }` reads the environment
    source: str = ""  # the file's name in front of its tables, if errors show it
    section: str | None = ""  # the dotted name of a [table]; None within an array of tables

    def __contains__(self, key: str) -> bool:
        return self.data.get(key) is not None

    def at(self, key: str) -> str:
        return located(self.where, key)

    def fail(self, key: str, problem: str, fix: str = "") -> NoReturn:
        """Raise the one error line; key "" names the table itself."""
        raise self.error(self.at(key), problem, fix)

    def raw(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return from_env(value, self.at(key)) if self.env else value

    def need(self, key: str, value: K | None, hint: str = '"..."') -> K:
        """A value that must be given."""
        if value is None:
            self.fail(key, "is missing", f"add {key} = {hint}")
        return value

    @overload
    def text(
        self,
        key: str,
        default: str = ...,
        *,
        hint: str = ...,
        strip: bool = ...,
        on: Carrier | None = ...,
        longest: int = ...,
    ) -> str: ...
    @overload
    def text(
        self,
        key: str,
        default: None,
        *,
        hint: str = ...,
        strip: bool = ...,
        on: Carrier | None = ...,
        longest: int = ...,
    ) -> str | None: ...
    def text(
        self,
        key: str,
        default: Any = _REQUIRED,
        *,
        hint: str = '"..."',
        strip: bool = False,
        on: Carrier | None = None,
        longest: int = LONGEST_TEXT,
    ) -> str | None:
        """A non-empty string of at most `longest` characters that `on`, the place on the wire it
        goes to, can carry; with default None, None when absent."""
        raw = self.raw(key, None if default is _REQUIRED else default)
        if raw is None:
            return None if default is None else self.need(key, raw, hint)
        if not isinstance(raw, str) or not (raw.strip() if strip else raw):
            self.fail(key, "must be a non-empty string", f"write {key} = {hint}")
        value = raw.strip() if strip else raw
        if len(value) > longest:
            self.fail(key, f"is longer than {longest} characters", f"write {key} = {hint}")
        if on is not None and (found := flaw(value, on)) is not None:
            self.fail(key, found, on.fix)
        return value

    def url(self, key: str, hint: str) -> str:
        """An http(s) URL, without its trailing slash."""
        fix = f"write {key} = {hint}"
        value = self.text(key, hint=hint, longest=LONGEST_URL)
        return http_url(value, self.at(key), fix, self.error)

    def url_path(self, key: str, default: str = "/", example: str = "/...") -> str:
        """The path part of a URL: it starts with /, in characters a request-target carries."""
        path = self.text(key, default, longest=LONGEST_URL)
        if not path.startswith("/"):
            shown = f"{path!r} " if set(path) <= VISIBLE else ""
            self.fail(key, f"{shown}does not start with /", f'write {key} = "{example}"')
        if (found := flaw(path, PATH)) is not None:
            self.fail(key, found, PATH.fix)
        return path

    def choice(self, key: str, options: Sequence[str], default: str | None = None) -> str:
        """One of a few names."""
        raw = self.need(key, self.raw(key, default), f'"{options[0]}"')
        return one_of(raw, options, self.at(key), self.error)

    def number(
        self,
        key: str,
        default: float,
        low: float,
        high: float,
        *,
        above: bool = False,
        noun: str = "a number",
        hint: str = "",
    ) -> float:
        """A number in [low, high], or in (low, high] when `above`."""
        return float(self._number(key, default, (low, high), False, above, noun, hint))

    def integer(
        self,
        key: str,
        default: int,
        low: int,
        high: int,
        *,
        noun: str = "an integer",
        hint: str = "",
    ) -> int:
        """An integer in [low, high]."""
        return int(self._number(key, default, (low, high), True, False, noun, hint))

    def _number(
        self,
        key: str,
        default: float,
        bounds: tuple[float, float],
        integer: bool,
        above: bool,
        noun: str,
        hint: str,
    ) -> float:
        raw, (low, high) = self.raw(key, default), bounds
        if (
            isinstance(raw, bool)
            or not isinstance(raw, int if integer else (int, float))
            or not (low < raw if above else low <= raw)
            or raw > high
        ):
            within = f"{'(' if above else '['}{low:g}, {high:g}]"
            self.fail(key, f"must be {noun} in {within}", f"write {key} = {hint or f'{default:g}'}")
        value: float = raw
        return value

    def strings(
        self, key: str, problem: str, example: str, *, least: int = 0, longest: int = 0
    ) -> tuple[str, ...] | None:
        """A list of non-empty strings (at least `least`, each at most `longest` long); None when
        absent."""
        raw = self.raw(key)
        if raw is None:
            return None
        if (
            not isinstance(raw, list)
            or len(raw) < least
            or not all(isinstance(s, str) and 0 < len(s) <= (longest or len(s)) for s in raw)
        ):
            self.fail(key, problem, f"write {key} = {example}")
        return tuple(raw)

    def file(self, key: str, hint: str) -> Path | None:
        """An existing file, relative to the profile's folder; None when absent."""
        raw = self.text(key, None, hint=hint, on=TEXT)
        if raw is None:
            return None
        path = Path(raw) if Path(raw).is_absolute() else self.base / raw
        if not path.is_file():
            fix = "give a path relative to the profile's folder"
            self.fail(key, f"file {path} does not exist", fix)
        return path

    def private_key(self, key: str) -> signing.PrivateKey | None:
        return self._key(key, signing.load_private_key, PRIVATE)

    def public_key(self, key: str) -> signing.PublicKey | None:
        return self._key(key, signing.load_public_key, PUBLIC)

    def _key(self, key: str, load: Callable[[bytes], K], kind: str) -> K | None:
        """A key given as a path relative to the profile, or as PEM text; None when absent."""
        raw = self.text(key, None, hint='"keys/name.pem"', longest=LONGEST_KEY)
        if raw is None:
            return None
        if "\x00" in raw:  # neither a path nor PEM text holds one
            self.fail(key, "has a NUL", "give a path relative to the profile, or PEM text")
        data = key_bytes(raw, self.base, self.at(key))
        try:
            return load(data)
        except (ValueError, TypeError) as exc:
            self.fail(key, f"is not {kind}: {exc}", "export the key as unencrypted PEM")

    def only(self, keys: Collection[str], noun: str, fix: str = "") -> None:
        """Refuse a key that is not one of `keys`."""
        for key in sorted(set(self.data) - set(keys)):
            near = get_close_matches(key, list(keys), n=1)
            hint = f"did you mean {near[0]}?" if near else f"use only {', '.join(keys)}"
            self.fail(key, f"is not a {noun}", fix or hint)

    def _name(self, key: str, array: bool = False) -> tuple[str, str | None]:
        """Where a table inside this one stands, and its dotted name."""
        if self.section is None:
            return self.at(key), None
        dotted = f"{self.section}.{key}" if self.section else key
        return located(self.source, f"[[{dotted}]]" if array else f"[{dotted}]"), dotted

    def table(self, key: str, fix: str = "") -> Table:
        """The table under `key` (empty when absent: `key in table` tells)."""
        raw = self.data.get(key, {})
        where, dotted = self._name(key)
        if not isinstance(raw, dict):
            raise self.error(where, "must be a table", fix or f"write a {where} section")
        return replace(self, data=raw, where=where, section=dotted)

    def tables(self, key: str, fix: str = "") -> tuple[Table, ...]:
        """The array of tables under `key`, each named by its place (#1 first)."""
        raw = self.data.get(key, [])
        where, _ = self._name(key, array=True)
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise self.error(where, "must be an array of tables", fix or f"write {where} sections")
        return tuple(
            replace(self, data=row, where=f"{where} #{i + 1}", section=None)
            for i, row in enumerate(raw)
        )

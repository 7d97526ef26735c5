"""Request-Time and Response-Time: the forms the docs show, and reading them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

TIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
# What the official Java SDK's client sends (DateTool.getCurrentTimeMillis): 13 digits.
EPOCH_MILLIS = re.compile(r"^[1-9]\d{12}$")


def format_time(moment: datetime) -> str:
    """ISO 8601 with offset and whole seconds, as the docs show: 2019-05-28T12:12:12+08:00."""
    return moment.replace(microsecond=0).isoformat()


def now() -> str:
    return format_time(datetime.now(UTC).astimezone())


# The Request-Time forms the docs show or allow (contract-notes §2), by name.
TIME_FORMS: dict[str, Callable[[datetime], str]] = {
    "offset": lambda m: (
        m.astimezone(timezone(timedelta(hours=8))).replace(microsecond=0).isoformat()
    ),
    "negative-offset": lambda m: (
        m.astimezone(timezone(timedelta(hours=-5))).replace(microsecond=0).isoformat()
    ),
    "utc-offset": lambda m: m.astimezone(UTC).replace(microsecond=0).isoformat(),
    "z": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "fraction-z": lambda m: m.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4] + "Z",
    "fraction-offset": lambda m: m.astimezone(timezone(timedelta(hours=8))).isoformat(
        timespec="milliseconds"
    ),
}


def now_in(form: str) -> str:
    """The current time in one of TIME_FORMS."""
    return TIME_FORMS[form](datetime.now(UTC))


def is_valid_time(value: str) -> bool:
    """ISO 8601 extended format with an offset or Z, as the docs show."""
    if not TIME_FORMAT.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_epoch_millis(value: str) -> bool:
    """Epoch milliseconds, as the official Java SDK's client writes Request-Time."""
    return EPOCH_MILLIS.match(value) is not None


def epoch_millis() -> str:
    """The current time as the official Java SDK's client writes it."""
    return str(int(datetime.now(UTC).timestamp() * 1000))

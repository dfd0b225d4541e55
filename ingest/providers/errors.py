"""Named provider errors: each message says what went wrong and what to do."""
from __future__ import annotations


class ProviderError(Exception):
    """A provider could not deliver data."""


class TickerNotFoundError(ProviderError):
    """The source does not know the ticker (unknown or delisted)."""


class EmptyDataError(ProviderError):
    """The ticker exists but there are no bars in the requested range."""


class NetworkUnavailableError(ProviderError):
    """No network (DNS failure, connection refused)."""


class RateLimitedError(ProviderError):
    """The source refuses requests for now (HTTP 429)."""


class ProviderTimeoutError(ProviderError):
    """The source did not answer within the deadline (a hanging network)."""


class CsvFormatError(ProviderError):
    """A CSV file rejected as a whole; `problems` lists (line number, problem)."""

    MAX_LISTED = 10

    def __init__(self, name: str, problems: list[tuple[int, str]], what: str = "price CSV"):
        self.name = name
        self.problems = problems
        lines = "\n".join(f"  line {n}: {p}" for n, p in problems[: self.MAX_LISTED])
        more = f"\n  ... and {len(problems) - self.MAX_LISTED} more" if len(problems) > self.MAX_LISTED else ""
        super().__init__(f"{name}: {what} rejected ({len(problems)} problem(s)), nothing was stored:\n"
                         f"{lines}{more}\nFix these lines (or export the file again) and retry.")

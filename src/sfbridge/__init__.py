"""sfbridge: keep a Salesforce org's Leads and Contacts honest."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read on first use, not at import: importlib.metadata scans the installed
    # distributions (~60 ms), which every `sfbridge --help` would pay for a string it never shows.
    if name != "__version__":
        msg = f"module 'sfbridge' has no attribute {name!r}"
        raise AttributeError(msg)
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 (see above)

    try:
        found = version("sfbridge")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found

"""sfbridge: keep a Salesforce org's Leads and Contacts honest."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sfbridge")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

"""How much a finding matters: an enum of its own, so ``--fail-on`` can be declared without pydantic.

Typer reads a command's option types when the CLI starts; keeping :class:`Severity` out of
:mod:`sfbridge.models` (which loads pydantic) keeps ``sfbridge --help`` light. The models
re-export it under its old name.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = ["SEVERITY_OF", "Severity"]


class Severity(StrEnum):
    """How much a finding matters; ordered, so ``--fail-on`` can compare."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for info up to 3 for high."""
        return list(Severity).index(self)


#: Each severity by its value, for code that makes many findings from stored or packed values:
#: a dict lookup costs less per finding than ``Severity(value)``.
SEVERITY_OF: Mapping[str, Severity] = {severity.value: severity for severity in Severity}

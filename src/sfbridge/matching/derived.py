"""Derive each distinct value once across runs: the normalisers' tables, kept in the store between audits.

A normaliser (read a phone number, fold a name, key a company, parse an address) works on the
distinct values of a column and maps its table back onto the people. Those tables hardly
change between two pulls: an incremental pull of 50 records brings at most 50 records' new
values. So each table is kept (:class:`DerivedStore`, the store's ``derived_values``) and the
next run derives only the values it has not seen, and drops the ones no record holds any more,
so a table is always the size of the org's distinct values.

A kept table is used only under the same *settings digest*: the rules the normaliser reads
(the default phone region, the placeholder lists, the phone fallback regions), the versions of
the libraries it calls (libphonenumber's metadata changes what is a valid number), and the
source of this package, so a changed normaliser never reads a table an older one made. Values
are matched whole, nulls included (an address is five columns, some of them empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import polars as pl

from sfbridge.code_digest import code_digest

__all__ = ["Derived", "DerivedStore", "Lookup", "settings_digest"]

#: The packages whose versions a kept table depends on (sfbridge itself too, for an install
#: that ships no source files to digest).
_LIBRARIES = ("sfbridge", "polars", "phonenumbers", "anyascii", "jellyfish", "email-validator", "publicsuffixlist")


class DerivedStore(Protocol):
    """Where the tables are kept between runs (:class:`sfbridge.store.Store` is one)."""

    def load_derived(self, kind: str, settings: str) -> pl.DataFrame | None:
        """The table kept for ``kind`` under ``settings``, or None."""

    def save_derived(self, kind: str, settings: str, frame: pl.DataFrame) -> None:
        """Keep ``frame`` as the table of ``kind`` under ``settings``."""

    def load_match_model(self, settings: str) -> object:
        """The match model kept under ``settings`` (:func:`sfbridge.matching.kept_model.kept_form`), or None."""

    def save_match_model(self, settings: str, form: Mapping[str, Any]) -> None:
        """Keep a learned match model under ``settings``, in place of the one kept before."""


def settings_digest(*settings: object) -> str:
    """The digest a table is kept under: the code's, and the settings the normaliser reads (by ``repr``)."""
    code = code_digest("matching", libraries=_LIBRARIES)
    return hashlib.sha256(f"{code}|{settings!r}".encode()).hexdigest()


@dataclass(frozen=True)
class Lookup:
    """Distinct values split into those a kept table has (``known``, with their derived columns) and ``missing``."""

    kind: str
    settings: str
    keys: tuple[str, ...]
    known: pl.DataFrame | None
    missing: pl.DataFrame
    pruned: bool  # the kept table held values no longer asked for


class Derived:
    """The normalisers' tables, kept in a store between runs (or nowhere: everything derived every time)."""

    def __init__(self, store: DerivedStore | None = None) -> None:
        """Keep the tables in ``store`` (None: keep nothing)."""
        self._store = store

    def lookup(self, kind: str, settings: str, values: pl.DataFrame, keys: Sequence[str]) -> Lookup:
        """Split distinct ``values`` (their ``keys`` columns) into those kept and those to derive."""
        kept = self._store.load_derived(kind, settings) if self._store is not None else None
        if kept is None or not set(keys) <= set(kept.columns) or not set(values.columns) <= set(kept.columns):
            return Lookup(kind, settings, tuple(keys), None, values, pruned=kept is not None)
        on = list(keys)
        missing = values.join(kept.select(on), on=on, how="anti", nulls_equal=True)
        if missing.height == 0 and kept.height == values.height:
            # Every value is kept and the table holds no other (both are distinct values): the
            # usual audit after a prepared pull. The kept table is the answer as it is, without a
            # second hash join of its keys (a million phone values' among them: with the region
            # table, ~0.5 s less CPU when a million people's phones start being read).
            return Lookup(kind, settings, tuple(keys), kept, missing, pruned=False)
        known = kept.join(values.select(on), on=on, how="semi", nulls_equal=True)
        return Lookup(kind, settings, tuple(keys), known, missing, pruned=known.height < kept.height)

    def complete(self, lookup: Lookup, derived: pl.DataFrame | None) -> pl.DataFrame:
        """The whole table: the kept values and the newly ``derived`` ones (``lookup.missing`` with their columns).

        Kept again when it changed, so the next run finds it.
        """
        if lookup.known is None:
            table = derived if derived is not None else lookup.missing
        elif derived is None or derived.height == 0:
            table = lookup.known
        else:
            # A column of nothing but nulls comes out of a small batch untyped: take the kept types.
            typed = derived.select([pl.col(name).cast(dtype) for name, dtype in lookup.known.schema.items()])
            table = pl.concat([lookup.known, typed])
        if self._store is not None and (lookup.known is None or lookup.missing.height or lookup.pruned):
            self._store.save_derived(lookup.kind, lookup.settings, table)
        return table

    def table(
        self,
        kind: str,
        settings: str,
        values: pl.DataFrame,
        keys: Sequence[str],
        derive: Callable[[pl.DataFrame], pl.DataFrame],
    ) -> pl.DataFrame:
        """The table of distinct ``values``: kept rows, and ``derive`` run on the values not kept yet."""
        found = self.lookup(kind, settings, values, keys)
        return self.complete(found, derive(found.missing) if found.missing.height or found.known is None else None)

    def kept_model(self, settings: str) -> object:
        """The match model kept under ``settings`` (as the store holds it: unchecked), or None."""
        return self._store.load_match_model(settings) if self._store is not None else None

    def keep_model(self, settings: str, form: Mapping[str, Any]) -> None:
        """Keep a learned match model (nowhere, without a store)."""
        if self._store is not None:
            self._store.save_match_model(settings, form)

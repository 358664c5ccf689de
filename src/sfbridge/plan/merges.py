"""Duplicate clusters into merges: which records merge into which master, with which values, or why not.

Pure: the ``duplicate`` findings and the records' stored values in, ``MergeRecords`` actions
and notes out. Salesforce merges Leads with Leads and Contacts with Contacts, at most three
records per merge, the master included; so per cluster and object:

- the master is the best-ranked record of that object in the survivor order (the survivor
  itself unless it is of the other object), and the others merge into it two at a time, in
  consecutive merges into the same master;
- the master takes the values ``[duplicates.values]`` chose for the cluster (the survivor's
  finding carries them) where they come from a record of this merge and differ from its own;
  the address moves as a whole, from one record; OwnerId and every other field stay the
  master's, as in a Salesforce merge;
- a cluster the ``[merge]`` rules hold back (:func:`sfbridge.matching.mergeable.held_back`:
  its weakest match under ``merge_threshold``, owners or record types that differ, a
  converted lead, a record no longer stored) becomes a note with the reason, never a guess.

A cluster of Leads and one Contact is converted, not merged (``lead_is_existing_contact``):
only its Contacts, when there are several, are merged here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sfbridge.matching.best_values import ADDRESS_FIELDS, FIELDS
from sfbridge.matching.mergeable import HELD_BACK_BY, cluster_score, clusters_of, held_back, ranked
from sfbridge.matching.people import field_of
from sfbridge.models import MAX_MERGED, Action, ActionKind, Finding, PlanNote, RecordMerge
from sfbridge.rules import Rules

__all__ = ["MERGE_FACTS", "merge_actions", "shown_fields"]

#: What the plan reads of each record of a cluster, besides the fields values are chosen for.
MERGE_FACTS = {sobject: ("SystemModstamp", *fields) for sobject, fields in HELD_BACK_BY.items()}


@functools.cache  # asked once per merge: a million-record org's plan has tens of thousands
def shown_fields(sobject: str) -> tuple[str, ...]:
    """The fields a merge chooses values for on an object, in the order people read them."""
    return tuple(field for column in FIELDS if (field := field_of(sobject, column)) is not None)


@functools.cache  # asked per value of every merge: matching.people's field_of searches its field map each time
def _field(sobject: str, column: str) -> str | None:
    return field_of(sobject, column)


def _modstamp(values: Mapping[str, Any]) -> datetime | None:
    stamp = values.get("SystemModstamp")
    return stamp if isinstance(stamp, datetime) else None


def _same(a: object, b: object) -> bool:
    # Stored text is compared as Salesforce would show it: blank and missing are one.
    return (str(a).strip() if a is not None else "") == (str(b).strip() if b is not None else "")


def _reasons(finding: Finding) -> tuple[str, ...]:
    matches = finding.evidence.get("matches") or []
    best = matches[0] if matches and isinstance(matches[0], Mapping) else {}
    return tuple(str(reason) for reason in best.get("reasons") or ())


class _Merger:
    def __init__(self, rules: Rules, records: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
        self.rules, self.records = rules, records
        self.actions: list[Action] = []
        self.notes: list[PlanNote] = []

    def note(self, finding: Finding, why: str) -> None:
        self.notes.append(PlanNote(check=finding.check, record_id=finding.record_id, why=why))

    def cluster(self, members: Sequence[Finding]) -> None:
        order = ranked(members)
        survivor = order[0]
        chosen = survivor.evidence.get("merged_values") or {}
        score = cluster_score(order)
        for sobject in ("Lead", "Contact"):
            of_object = [finding for finding in order if finding.sobject == sobject]
            if len(of_object) < 2:  # noqa: PLR2004 (a merge needs two records)
                continue
            why = held_back(of_object, score, rules=self.rules, records=self.records)
            if why is not None:
                self.note(of_object[0], why)
                continue
            self.merge(of_object, score=score, reasons=_reasons(survivor), chosen=chosen)

    def merge(
        self,
        findings: Sequence[Finding],
        *,
        score: float | None,
        reasons: tuple[str, ...],
        chosen: Mapping[str, Any],
    ) -> None:
        sobject, master = findings[0].sobject, findings[0]
        stored = self.records[sobject]
        ids = [finding.record_id for finding in findings]
        values, sources = self.master_values(sobject, ids, chosen)
        master_record = stored[master.record_id]
        shown = shown_fields(sobject)
        others = ids[1:]
        steps = (len(others) + MAX_MERGED - 1) // MAX_MERGED
        for step in range(steps):
            merged = tuple(others[step * MAX_MERGED : (step + 1) * MAX_MERGED])
            involved = (master.record_id, *merged)
            # The master's new values go with the first merge; later ones into it change nothing else.
            step_values = values if step == 0 else {}
            self.actions.append(
                Action(
                    key=f"merge:{master.record_id}:{step + 1}",
                    kind=ActionKind.MERGE_RECORDS,
                    sobject=sobject,
                    record_id=master.record_id,
                    check=master.check,
                    reason=master.reason,
                    seen_modstamp=_modstamp(master_record),
                    expected={name: master_record.get(name) for name in step_values},
                    values=step_values,
                    merge=RecordMerge(
                        master_id=master.record_id,
                        merged_ids=merged,
                        group=master.group or master.record_id,
                        step=step + 1,
                        steps=steps,
                        score=score,
                        reasons=reasons,
                        seen={record_id: _modstamp(stored[record_id]) for record_id in involved},
                        records={
                            record_id: {name: stored[record_id].get(name) for name in shown} for record_id in involved
                        },
                        sources={name: sources[name] for name in step_values},
                    ),
                )
            )

    def master_values(
        self, sobject: str, ids: Sequence[str], chosen: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The values the master takes (only those that differ from its own), and the record each comes from."""
        stored = self.records[sobject]
        master = stored[ids[0]]
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for column, pick in chosen.items():
            field = _field(sobject, column)
            source = pick.get("from") if isinstance(pick, Mapping) else None
            if field is None or source not in ids or column in ADDRESS_FIELDS:
                continue  # no such field, a value of a Lead this merge leaves alone, or part of the address
            # A value from the master itself may still be new to this field: names typed the wrong way round.
            if not _same(master.get(field), pick.get("value")):
                values[field], sources[field] = pick.get("value"), str(source)
        # The address is one record's, whole: all five parts from that record, blanks included,
        # so the master never holds one record's street with another's city.
        address = {
            str(pick.get("from")) for c, pick in chosen.items() if c in ADDRESS_FIELDS and isinstance(pick, Mapping)
        }
        source = next(iter(address)) if len(address) == 1 else None
        if source is not None and source in ids and source != ids[0]:
            for column in ADDRESS_FIELDS:
                field = _field(sobject, column)
                if field is not None and not _same(master.get(field), stored[source].get(field)):
                    values[field], sources[field] = stored[source].get(field), source
        return values, sources


def merge_actions(
    findings: Sequence[Finding], *, rules: Rules, records: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> tuple[list[Action], list[PlanNote]]:
    """Plan the merges of the duplicate clusters among the findings.

    Args:
        findings: an audit's findings (those of ``duplicate`` are read).
        rules: the rules (``[merge]``).
        records: per object, record Id → stored values (:data:`MERGE_FACTS` and :func:`shown_fields`).

    Returns:
        The merges, cluster by cluster in group order, and a note per cluster held back.
    """
    clusters = clusters_of(findings)
    merger = _Merger(rules, records)
    for group in sorted(clusters):
        merger.cluster(clusters[group])
    return merger.actions, merger.notes

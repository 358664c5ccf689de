"""The checks stage: every health check, registered in one place, run on a snapshot.

Each check is a pure function of (snapshot, rules, now) returning findings; see
:mod:`sfbridge.checks.registry` for the shape and the modules below for the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sfbridge.checks import conversion, junk, leads, matches, quality, readiness
from sfbridge.checks.context import PEOPLE_NEEDS, CheckContext, StatusSets, resolve_statuses
from sfbridge.checks.registry import Check, Reads
from sfbridge.errors import UsageError
from sfbridge.heap import return_freed_heap
from sfbridge.log import timed
from sfbridge.matching.derived import DerivedStore
from sfbridge.models import Finding, PackedFindings
from sfbridge.rules import Rules
from sfbridge.snapshot import Snapshot

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CHECKS",
    "Check",
    "CheckContext",
    "ChecksRun",
    "Reads",
    "StatusSets",
    "fields_needed",
    "resolve_statuses",
    "run_checks",
    "run_checks_detailed",
    "select_checks",
]

#: Every check, in report order.
CHECKS: Mapping[str, Check] = {
    check.name: check for module in (leads, conversion, junk, matches, quality, readiness) for check in module.CHECKS
}

# What every check may rely on being loaded, whatever it declares.
_ALWAYS: Mapping[str, frozenset[str]] = {
    "Lead": frozenset({"Id", "Status", "IsConverted", "OwnerId", "CreatedDate"}),
    "LeadStatus": frozenset({"Id", "ApiName", "MasterLabel", "IsConverted", "SortOrder"}),
}


def select_checks(names: Iterable[str] | None) -> list[Check]:
    """Pick checks by name (all when None), refusing unknown names with the list of known ones.

    Raises:
        UsageError: for a name that is not a check.
    """
    if names is None:
        return list(CHECKS.values())
    chosen = [name.strip() for name in names if name.strip()]
    unknown = [name for name in chosen if name not in CHECKS]
    if unknown:
        msg = f"--checks: unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}"
        raise UsageError(msg)
    return [CHECKS[name] for name in chosen]


def fields_needed(checks: Sequence[Check], rules: Rules, *, people: bool = True) -> dict[str, set[str]]:
    """The fields to load per object for these checks under these rules.

    Args:
        checks: the checks.
        rules: their rules (a score field, say, is named there).
        people: include what the people are built from, for checks that read them (False
            once the people are built).
    """
    needs: dict[str, set[str]] = {sobject: set(fields) for sobject, fields in _ALWAYS.items()}
    for check in checks:
        declared = dict(check.needs(rules))
        if people and check.reads_people:
            declared = {
                sobject: PEOPLE_NEEDS.get(sobject, frozenset()) | declared.get(sobject, frozenset())
                for sobject in {*declared, *PEOPLE_NEEDS}
            }
        for sobject, fields in declared.items():
            needs.setdefault(sobject, set()).update(fields)
    return needs


@dataclass(frozen=True)
class ChecksRun:
    """What a run of the checks found, and how the duplicate search weighed pairs.

    Attributes:
        findings: every finding, check by check.
        match_model: the match model (:meth:`CheckContext.match_model`), or None when no
            check scored pairs (no duplicate check ran, or only the email and phone checks).
    """

    findings: list[Finding]
    match_model: dict[str, Any] | None


def run_checks(
    snapshot: Snapshot,
    *,
    rules: Rules,
    now: datetime,
    checks: Sequence[Check] | None = None,
    release: bool = False,
) -> list[Finding]:
    """Run checks on a snapshot and return their findings (see :func:`run_checks_detailed`)."""
    return run_checks_detailed(snapshot, rules=rules, now=now, checks=checks, release=release).findings


def run_checks_detailed(  # noqa: PLR0913 (keyword-only past the snapshot)
    snapshot: Snapshot,
    *,
    rules: Rules,
    now: datetime,
    checks: Sequence[Check] | None = None,
    release: bool = False,
    derived: DerivedStore | None = None,
    people_prepared: bool = False,
    read_normalised: Callable[[], pl.DataFrame | None] | None = None,
) -> ChecksRun:
    """Run checks on a snapshot, keeping the match model the duplicate checks scored with.

    Args:
        snapshot: the org's records.
        rules: thresholds and policies.
        now: the moment ages are measured from.
        checks: which checks (all by default).
        release: let the snapshot drop what no remaining check reads as the checks go (see
            :meth:`Snapshot.release`), and keep the findings of the checks run before the
            last ones packed meanwhile (:class:`~sfbridge.models.PackedFindings`); for a
            caller that reads the snapshot no more (the audit).
        derived: where the normalisers keep their tables of distinct values between runs
            (see :mod:`sfbridge.matching.derived`); None derives every value.
        people_prepared: the pull prepared these very people's records in ``derived``
            (:func:`sfbridge.prepare.people_prepared`), so no phone number is expected to be
            left to read while the other checks run: the people are made after them, not
            before (a value missing after all is read then; the findings are the same).
        read_normalised: with ``people_prepared``, what reads back the people the pull kept
            normalised (:func:`sfbridge.prepare.kept_people_reader`): read when the people are
            first needed, instead of normalising them; None (or nothing kept) normalises them.

    Returns:
        Every finding, check by check in the order given (report order by default), and the
        match model (None when no check scored pairs: the search is never run for it).

    Checks that read the people (the duplicate search) run last: their phone numbers are read
    in worker processes while the other checks run (unless ``people_prepared``). The context,
    with the search's frames, is dropped on return: only the model's plain data outlives it.
    """
    chosen = list(checks if checks is not None else CHECKS.values())
    context = CheckContext(snapshot=snapshot, rules=rules, now=now, derived=derived, read_normalised=read_normalised)
    found: dict[str, list[Finding] | PackedFindings] = {}
    people_readers = [check for check in chosen if check.reads_people]
    # Phone numbers not read yet are read in worker processes while the other checks run: the
    # people are made (and held) first. With every value prepared there is nothing to read, and
    # making them first only held them (~650 MB at a million records, with their located values
    # and the kept phone readings) beside the whole snapshot through those checks: the audit's
    # peak. Made after them, they take the place of what those checks released (Task, LeadHistory).
    early = bool(people_readers) and not people_prepared
    try:
        if early:
            context.matches.start()  # phone numbers are read meanwhile, in worker processes
        # With the duplicate search to come, an audit's findings wait for the last checks packed
        # (those of the checks run before the search: ~180 MB as objects at a million records,
        # 41 MB packed), each check's as it is done: the later checks and the search, whose
        # steps set the audit's peak, run beside 41 MB. The checks run last keep theirs.
        park = bool(people_readers) and release
        others = [check for check in chosen if not check.reads_people]
        for done, check in enumerate(others, start=1):
            found[check.name] = _kept(_ran(check, context), packed=park)
            if release:
                # What only the checks run so far read goes at once, not after the last of
                # them: at a million records Task (1.5M rows) and LeadHistory (1.1M), read
                # only by the lead and conversion checks, were ~200 MB still held while the
                # checks after them ran (ready_to_convert's transients set the peak there).
                # The people (if any check reads them) were built from the snapshot first, or
                # are built after these checks: their columns stay until then.
                snapshot.release(fields_needed([*others[done:], *people_readers], rules, people=not early))
        if people_readers:
            found.update(_run_people_readers(context, people_readers, release=release, packed=park))
    finally:
        # Only a matching that was made: made here (people prepared, a check before them failed)
        # it would copy the Leads and Contacts just to close them, and its error hide the first.
        matching = context.made_matches()
        if matching is not None:
            matching.close()
    return ChecksRun([finding for check in chosen for finding in _unpacked(found[check.name])], context.match_model())


def _ran(check: Check, context: CheckContext) -> list[Finding]:
    """The check's findings; how many and how long it took are logged (``check_done``, shown by ``-v``).

    The first check to read the search's results (or the people) also pays for the search (or
    for making the people): its seconds say so.
    """
    with timed("check_done", check=check.name) as done:
        findings = check.run(context)
        done["findings"] = len(findings)
    return findings


def _kept(findings: list[Finding], *, packed: bool) -> list[Finding] | PackedFindings:
    return PackedFindings(findings) if packed else findings


def _unpacked(findings: list[Finding] | PackedFindings) -> list[Finding]:
    return findings.unpack() if isinstance(findings, PackedFindings) else findings


def _run_people_readers(
    context: CheckContext, readers: list[Check], *, release: bool, packed: bool
) -> dict[str, list[Finding] | PackedFindings]:
    """Run the checks that read the people: those reading the people alone, then the search's readers.

    ``packed``: keep the findings of all but the last (those reading only the search's results) packed.
    """
    found: dict[str, list[Finding] | PackedFindings] = {}
    # Unreleased, the people are made by the first check that reads them (its seconds say so).
    with timed("audit_stage", stage="people"):
        context.matches.start()  # if it was not (people prepared): the people are made from the snapshot now
        if release:
            # The duplicate search needs memory more than anything else does: keep only what
            # the checks still to run read besides the people. The people frame was built
            # from the Leads and Contacts when the search started (its own copy of the
            # columns held as Categoricals here), so their people columns go before the
            # people are normalised, not after.
            context.snapshot.release(fields_needed(readers, context.rules, people=False))
            # The other checks and normalising free what glibc keeps resident (the findings'
            # transients, the phone readers' results): hand it back before normalising and
            # before the search, the two steps whose memory sets the audit's peak.
            return_freed_heap()
            context.matches.people  # noqa: B018 (build them now: waits for the phone readers)
            return_freed_heap()
    # The checks reading the people alone run before the search; the columns only they read
    # go before it (an audit's), and the search's frames take their place.
    people_only = [check for check in readers if check.reads is Reads.PEOPLE]
    for check in people_only:
        found[check.name] = _kept(_ran(check, context), packed=packed)
    if release and people_only:
        context.matches.release_checked()
    for check in readers:
        if check.reads is Reads.PEOPLE_AND_SEARCH:
            found[check.name] = _kept(_ran(check, context), packed=packed)
    # The checks reading only the search's results run last: an audit lets the people frame go
    # before them, and the duplicate findings they build (~190 MB at a million records) take
    # its place instead of adding to it.
    search_readers = [check for check in readers if check.reads is Reads.SEARCH_ONLY]
    if search_readers and release:
        context.matches.release_people()
    for check in search_readers:
        found[check.name] = _ran(check, context)
    return found

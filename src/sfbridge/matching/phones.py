"""Phone numbers in context: E.164 form, extension, validity and placeholders, by libphonenumber.

**Reading in context.** A number written without a country code is read in the record's
country first (its region code), so "020 7946 0018" is a London number for a UK contact.
When that reading is not a valid number, and the value is plainly written (phone characters,
7-15 digits, no "+country code"), it is read in a few *fallback regions*
(:meth:`PhoneSettings.reader`): the org's default region first, then the regions most of the
org's numbers are read in. The first region where it is a valid number *written the way that
region writes its numbers* wins, so a value valid in several prefers the default region, then
the most common one. "(415) 555-0134" on a Spanish contact is then the US number
+14155550134: valid, evidence for matching, and reported as a formatting fix (the E.164 value
to set) rather than as invalid. "07911 123456" on a US lead is a UK mobile, but "7911 123456"
is nothing: the UK writes its trunk 0, and without that rule ten digits of nonsense are a
valid number in some plan or other. A number read as valid in its record's country is kept
as it is, even when it was meant for another ("(415) 555-0199" is a valid German number).

**Validity.** ``valid`` is ``is_valid_number``: the number is in an allocated range of its
country's numbering plan (fictional ranges such as NANP 555-01xx count, because the plans
include them), and is not a placeholder. Only valid numbers are evidence for matching. For
what the data-quality check reports, each value also gets a ``level``, the highest it reaches
(see :data:`LEVELS`): ``valid``; ``possible`` (a dialable length, ``is_possible_number``, in
its region or a fallback region it could be written for); ``format`` (only phone characters
and 7-15 digits, an extension apart); else ``malformed``. Placeholders get ``placeholder``,
below everything.

**Placeholders** are typed to get past a required field: the listed numbers, and with the
patterns on, one digit repeated (000-000-0000, 555-555-5555), a straight run (123-456-7890,
987-654-3210) and national numbers starting 000 ("+1 (000) …"). They are never valid, never
a blocking key and never a match reason, even where libphonenumber calls them valid
("01234 567890" is a real UK range).

Parsing costs ~20-30 µs a value, so each distinct (text, region) is read once, the fallback
regions only for the values that failed there (a few in a thousand in a typical org), each
(text, fallback region) once; a region that writes its trunk prefix is skipped without
parsing for a value that does not start with it (or its country code), which rules out most
failed values at once. Large batches are spread over worker processes (``spawn``: forking a
process that runs polars' thread pool can deadlock).
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import re
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Literal, NamedTuple, Self, get_args

import phonenumbers
import polars as pl
import structlog
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from sfbridge.heap import freed_failure_cycles

__all__ = [
    "DEFAULT_PLACEHOLDERS",
    "LEVELS",
    "Level",
    "PhoneBatch",
    "PhoneReader",
    "PhoneReading",
    "PhoneSettings",
    "fallback_regions",
    "placeholder_digits",
    "read_phone",
    "read_phones",
]

log = structlog.get_logger()

#: Batches smaller than this are read in-process: starting workers costs ~1 s.
POOL_THRESHOLD = 40_000
_CHUNK = 20_000

#: How far a value gets, lowest first; a level passes every check below it.
Level = Literal["placeholder", "malformed", "format", "possible", "valid"]
LEVELS: tuple[Level, ...] = get_args(Level)
#: Fallback regions read in ``auto`` mode: the default region and the org's next most common ones.
AUTO_FALLBACKS = 5
#: Numbers typed to fill a required field (matched by digits: see :class:`PhoneReader`).
DEFAULT_PLACEHOLDERS = ("000-000-0000", "123-456-7890", "555-555-5555", "999-999-9999", "01234 567890")

PLACEHOLDER_PROBLEM = "is a placeholder, not a number"
_PATTERN_LENGTHS = range(6, 18)  # a whole number of one digit or a run; shorter values are too short anyway
_PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: "has no valid country code",
    NumberParseException.NOT_A_NUMBER: "is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    NumberParseException.TOO_SHORT_NSN: "is too short",
    NumberParseException.TOO_LONG: "is too long",
}
_LENGTH_PROBLEMS = {
    ValidationResult.TOO_SHORT: "is too short for",
    ValidationResult.TOO_LONG: "is too long for",
    ValidationResult.INVALID_LENGTH: "has the wrong length for",
    ValidationResult.INVALID_COUNTRY_CODE: "has an unknown country code for",
}
# The ``format`` level: phone characters only, once an extension ("ext. 12", "x12", "#12") is cut off.
_EXTENSION = re.compile(r"\s*(?:ext\.?|extn\.?|extension|x|#)\s*\d{1,7}\s*$", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"\+?[\d\s().\-/]+")
_FORMAT_DIGITS = range(7, 16)  # E.164 allows 15 digits; nowhere dials fewer than 7 for a subscriber


class PhoneReading(NamedTuple):
    """What libphonenumber makes of one phone value.

    Attributes:
        e164: the number in E.164 (``+14155550134``) when it could be parsed, else None.
        extension: the extension, if one was written.
        valid: whether the number is in use (an allocated range) and not a placeholder.
        problem: for a value that is not valid, why, in plain words (read in its own region).
        level: the highest of :data:`LEVELS` it reaches.
        fallback: the region it was read in when its own region could not read it.
        fix: for a fallback reading, the value to write instead (E.164, and the extension).
    """

    e164: str | None
    extension: str | None
    valid: bool
    problem: str | None
    level: Level = "valid"
    fallback: str | None = None
    fix: str | None = None


def _e164(number: phonenumbers.PhoneNumber) -> tuple[str, str]:
    # The national significant number, and E.164: "+", the country code and that number
    # (what format_number gives a parsed number, without working it out a second time).
    national = phonenumbers.national_significant_number(number)
    return national, f"+{number.country_code}{national}"


def _is_valid(number: phonenumbers.PhoneNumber, region: str) -> bool:
    # is_valid_number first works out which region a number belongs to, which for shared
    # country codes (+1 spans 25 regions) means testing the number against each in turn. When
    # the number is valid in the main region of its code, that search stops there (the main
    # region is tried first), so asking that region directly gives the same answer faster.
    # A code with one region only (+49, +33) would have it asked the same question twice.
    code = number.country_code or 0
    if phonenumbers.region_code_for_country_code(code) == region:
        if phonenumbers.is_valid_number_for_region(number, region):
            return True
        if len(phonenumbers.region_codes_for_country_code(code)) == 1:
            return False
    return bool(phonenumbers.is_valid_number(number))


def _problem(number: phonenumbers.PhoneNumber) -> str:
    # An invalid number has no region of its own; name the main one of its country code.
    code = number.country_code or 0
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(code)
    reason = phonenumbers.is_possible_number_with_reason(number)
    return f"{_LENGTH_PROBLEMS.get(reason, 'is not a number in use in')} {region} (+{code})"


def _graded(text: str, *, possible: bool) -> Level:
    # The level of a value that is no valid number (nor a placeholder).
    if possible:
        return "possible"
    return "format" if _well_formed(text) else "malformed"


def _main_part(text: str) -> str:
    return _EXTENSION.sub("", text, count=1).strip()


def _well_formed(text: str) -> bool:
    main = _main_part(text)
    return bool(_PHONE_CHARACTERS.fullmatch(main)) and sum(char.isdigit() for char in main) in _FORMAT_DIGITS


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


@functools.cache
def _written_prefixes(region: str) -> tuple[str, ...]:
    # What a number of this region, written the way it writes them, starts with: its trunk
    # prefix ("0" in GB: "020 7946 0018") or its country code written without "+". Empty for
    # regions that write numbers with no prefix (the US omits its trunk 1, Spain has none).
    trunk = phonenumbers.ndd_prefix_for_region(region, strip_non_digits=True)
    example = phonenumbers.example_number(region)
    if not trunk or example is None:
        return ()
    if not _digits(phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)).startswith(trunk):
        return ()  # Brazil has a trunk 0 but writes "(11) 2345-6789"
    return (trunk, str(phonenumbers.country_code_for_region(region)))


def _as_written_in(text: str, number: phonenumbers.PhoneNumber, e164: str) -> bool:
    # A fallback reading is a guess, so it must be how that region writes its numbers: the
    # digits of its national format (with the trunk 0 where the region writes one: "07911
    # 123456" in GB, "(415) 555-0134" in the US) or of its E.164 form without the "+". Read
    # any other way, ten digits of nonsense are a valid number in some plan ("555 225 5669" is
    # 055 5225 5669 in GB, where nobody writes a number without its 0).
    national = _main_part(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))  # extension apart
    return _digits(_main_part(text)) in {_digits(national), e164[1:]}


def _pattern_digits() -> frozenset[str]:
    # Every number of one repeated digit and every straight run (wrapping 9→0, both ways),
    # as digit strings: one set lookup a value tests them all.
    found: set[str] = set()
    for length in _PATTERN_LENGTHS:
        for first in range(10):
            found.add(str(first) * length)
            found.add("".join(str((first + step) % 10) for step in range(length)))
            found.add("".join(str((first - step) % 10) for step in range(length)))
    return frozenset(found)


def placeholder_digits(placeholders: tuple[str, ...], *, patterns: bool) -> frozenset[str]:
    """The digit strings that mark a number as a placeholder (see :class:`PhoneReader`).

    Args:
        placeholders: numbers as people write them ("000-000-0000", "01234 567890").
        patterns: add every number of one repeated digit and every straight run.

    Returns:
        Each listed number's digits, and those without a leading trunk 0 (so the national
        form "01234 567890" also matches the number +44 1234 567890).
    """
    digits = {re.sub(r"\D", "", text) for text in placeholders}
    listed = {number for number in digits if number} | {number[1:] for number in digits if number[:1] == "0"}
    return frozenset(listed - {""}) | (_pattern_digits() if patterns else frozenset())


@dataclass(frozen=True)
class PhoneReader:
    """Reads phone values: in their region, then in fallback regions; placeholders apart.

    A value is a placeholder when its national significant number (the digits after the
    country code and trunk prefix) or its E.164 digits are in ``placeholders``, or, with
    ``patterns``, when its national number starts with 000.

    Attributes:
        fallback: the regions a value is read in, in order, when its own region cannot read it.
        placeholders: digit strings of placeholder numbers (:func:`placeholder_digits`).
        patterns: whether national numbers starting 000 are placeholders too.
    """

    fallback: tuple[str, ...] = ()
    placeholders: frozenset[str] = placeholder_digits(DEFAULT_PLACEHOLDERS, patterns=True)
    patterns: bool = True

    def _placeholder(self, national: str, e164: str) -> bool:
        listed = national in self.placeholders or e164[1:] in self.placeholders
        return listed or (self.patterns and national.startswith("000"))

    def read(self, text: str, region: str, cache: dict[tuple[str, str], PhoneReading] | None = None) -> PhoneReading:
        """Read one value, in its region first, then in the fallback regions.

        Args:
            text: the value as typed.
            region: the region to read national formats in (ISO 3166 code).
            cache: readings in fallback regions, shared by the calls of one batch.

        Returns:
            The reading.
        """
        try:
            number = phonenumbers.parse(text, region)
        except NumberParseException as exc:
            unreadable = exc.error_type == NumberParseException.NOT_A_NUMBER  # no digits to read anywhere
            found, possible = (None, False) if unreadable else self._fallback(text, region, cache)
            problem = _PARSE_PROBLEMS.get(exc.error_type, "is unreadable")
            return found or PhoneReading(None, None, False, problem, _graded(text, possible=possible))  # noqa: FBT003
        national, e164 = _e164(number)
        extension = number.extension or None
        if self._placeholder(national, e164):
            return PhoneReading(e164, extension, False, PLACEHOLDER_PROBLEM, "placeholder")  # noqa: FBT003
        if _is_valid(number, region):
            return PhoneReading(e164, extension, True, None)  # noqa: FBT003 (positional: the hot path, ~1M calls)
        found, possible = None, False
        if number.country_code == phonenumbers.country_code_for_region(region):
            # Not dialled abroad ("011 44 …" from the US is the number meant): another region may read it.
            found, possible = self._fallback(text, region, cache)
        if found is not None:
            return found
        # The problem and level only now: working them out costs more than reading the number.
        possible = possible or phonenumbers.is_possible_number(number)
        return PhoneReading(e164, extension, False, _problem(number), _graded(text, possible=possible))  # noqa: FBT003

    def _fallback(
        self, text: str, region: str, cache: dict[tuple[str, str], PhoneReading] | None
    ) -> tuple[PhoneReading | None, bool]:
        """The first fallback region's valid reading (None if none), and whether any found a possible one."""
        if text.lstrip().startswith("+") or not _well_formed(text):
            # With a country code every region reads the same number; with letters or an odd
            # number of digits it is no region's plainly written number.
            return None, False
        possible = False
        digits = _digits(_main_part(text))
        for other in self.fallback:
            prefixes = _written_prefixes(other)
            if other == region or (prefixes and not digits.startswith(prefixes)):
                # A region that writes its trunk 0 cannot have written a number without it:
                # most failed values are ruled out here, without parsing them again.
                continue
            key = (text, other)
            reading = cache.get(key) if cache is not None else None
            if reading is None:
                reading = self._read_in(text, other)
                if cache is not None:
                    cache[key] = reading
            if reading.valid:
                fix = f"{reading.e164} ext. {reading.extension}" if reading.extension else reading.e164
                return reading._replace(fallback=other, fix=fix), True
            possible = possible or reading.level == "possible"
        return None, possible

    def _read_in(self, text: str, region: str) -> PhoneReading:
        # A fallback reading: only whether it is valid (and not a placeholder), or possible.
        try:
            number = phonenumbers.parse(text, region)
        except NumberParseException:
            return PhoneReading(None, None, False, None, "malformed")  # noqa: FBT003
        national, e164 = _e164(number)
        if self._placeholder(national, e164):
            return PhoneReading(e164, None, False, None, "placeholder")  # noqa: FBT003
        if not phonenumbers.is_possible_number(number):
            # Most readings in a foreign plan fail on length alone, which is cheap to ask; only a
            # possible number can be valid (its country's lengths cover those of the regions
            # sharing its code: tests/matching/test_phones.py checks the library still says so).
            return PhoneReading(e164, None, False, None, "malformed")  # noqa: FBT003
        if _is_valid(number, region) and _as_written_in(text, number, e164):
            return PhoneReading(e164, number.extension or None, True, None)  # noqa: FBT003
        return PhoneReading(e164, None, False, None, "possible")  # noqa: FBT003

    def read_frame(self, values: pl.DataFrame) -> pl.DataFrame:
        """Read a frame of ``text`` and ``region`` columns; one reading per row, in order.

        Frames (Arrow buffers) cross the process boundary far more cheaply than Python objects.

        Args:
            values: the phone values and the region to read each in.

        Returns:
            One column per field of :class:`PhoneReading` (``level`` an ordered enum).
        """
        cache: dict[tuple[str, str], PhoneReading] = {}
        pairs = zip(values.get_column("text").to_list(), values.get_column("region").to_list(), strict=True)
        readings = [self.read(text, region, cache) for text, region in pairs]
        columns = zip(*readings, strict=True) if readings else ([] for _ in READINGS)
        return pl.DataFrame(dict(zip(READINGS, columns, strict=True)), schema=READINGS)


#: The columns of a frame of readings.
READINGS = {
    "e164": pl.Utf8(),
    "extension": pl.Utf8(),
    "valid": pl.Boolean(),
    "problem": pl.Utf8(),
    "level": pl.Enum(LEVELS),
    "fallback": pl.Utf8(),
    "fix": pl.Utf8(),
}


def fallback_regions(values: pl.DataFrame, *, default_region: str, count: int = AUTO_FALLBACKS) -> tuple[str, ...]:
    """The org's own fallback regions: its default region, then the regions most values are read in.

    Args:
        values: distinct phone values (``text``, ``region``).
        default_region: where numbers of records without a country are read.
        count: how many regions in all.

    Returns:
        The regions, default first, then by how many values each reads (ties by code).
    """
    if count < 1:
        return ()
    counts = values.group_by("region").len().sort(["len", "region"], descending=[True, False])
    common = [region for region in counts.get_column("region").to_list() if region != default_region]
    return (default_region, *common[: count - 1])


@dataclass(frozen=True)
class PhoneSettings:
    """What counts as a placeholder, and where values are read when their own region fails.

    Attributes:
        placeholders: placeholder numbers as people write them.
        placeholder_patterns: whether one-digit repeats, straight runs and national numbers
            starting 000 are placeholders too.
        fallback_regions: the regions to try, in order; None for the org's own
            (:func:`fallback_regions`), empty for none.
    """

    placeholders: tuple[str, ...] = DEFAULT_PLACEHOLDERS
    placeholder_patterns: bool = True
    fallback_regions: tuple[str, ...] | None = None

    def reader(self, values: pl.DataFrame, *, default_region: str) -> PhoneReader:
        """The reader for an org's distinct phone values.

        Args:
            values: the values to be read (``text``, ``region``).
            default_region: where numbers of records without a country are read.
        """
        regions = self.fallback_regions
        if regions is None:
            regions = fallback_regions(values, default_region=default_region.upper())
        digits = placeholder_digits(self.placeholders, patterns=self.placeholder_patterns)
        return PhoneReader(fallback=regions, placeholders=digits, patterns=self.placeholder_patterns)


def read_phone(text: str, region: str, *, fallback: tuple[str, ...] = ()) -> PhoneReading:
    """Read one phone value with the default placeholders.

    Args:
        text: the value as typed.
        region: the region to read national formats in (ISO 3166 code).
        fallback: regions to read it in when ``region`` cannot.

    Returns:
        Its E.164 form, extension, validity and level.

    >>> read_phone("(415) 555-0134 ext. 7", "US")
    PhoneReading(e164='+14155550134', extension='7', valid=True, problem=None, level='valid', fallback=None, fix=None)
    >>> read_phone("0000000000", "US").level
    'placeholder'
    >>> read_phone("(415) 555-0134", "ES", fallback=("US",)).fix
    '+14155550134'
    """
    return PhoneReader(fallback=fallback).read(text, region)


def read_frame(values: pl.DataFrame, reader: PhoneReader | None = None) -> pl.DataFrame:
    """Read a frame of ``text`` and ``region`` columns with a reader (the defaults when None)."""
    return (reader or PhoneReader()).read_frame(values)


def _ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    return buffer.getvalue()


def _read_ipc(chunk: bytes, reader: PhoneReader) -> bytes:
    """A worker's task: read the values of an IPC chunk, answer with the readings as IPC bytes."""
    return _ipc(reader.read_frame(pl.read_ipc(chunk)))


class PhoneBatch:
    """Phone values being read, possibly in worker processes, collected with :meth:`result`.

    Chunks are handed to the workers by a feeder thread, a few at a time, so neither the
    values nor the readings pile up as Python objects in this process. Chunks cross the
    process boundary as Arrow IPC bytes, written and read on the calling thread only: the
    executor pickles arguments and unpickles results on threads of its own, and a polars frame
    (un)pickled there runs on polars' thread pool while the caller's polars work holds that
    pool waiting for the GIL inside a Python function (``map_batches`` in
    :func:`~sfbridge.matching.fold.fold_expr`), which hung 100k and 1M audits for good.
    Worker processes are
    started with ``spawn``, which imports the caller's main module in each worker: a script
    that reads phones in bulk must keep its own work under ``if __name__ == "__main__":`` (as
    every multiprocessing program must). If the workers cannot run, the values are read in
    this process instead.
    """

    def __init__(self, values: pl.DataFrame, *, workers: int, reader: PhoneReader | None = None) -> None:
        """Start reading a frame of ``text`` and ``region``; with ``workers`` > 1 large ones go to processes.

        Args:
            values: the distinct values to read.
            workers: processes to read a large frame in (1 reads in this process).
            reader: how to read them (default placeholders, no fallback regions when None).
        """
        self._values = values
        self._reader = reader or PhoneReader()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[bytes]] = []
        self._feeder: threading.Thread | None = None
        self._fed = False  # every chunk was handed to a worker
        if workers > 1 and values.height >= POOL_THRESHOLD:
            # Serialised here, on the calling thread (see the class docstring): ~20 bytes a value.
            chunks = [_ipc(values.slice(start, _CHUNK)) for start in range(0, values.height, _CHUNK)]
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            self._feeder = threading.Thread(target=self._feed, args=(self._pool, workers, chunks), daemon=True)
            self._feeder.start()

    def _feed(self, pool: ProcessPoolExecutor, workers: int, chunks: list[bytes]) -> None:
        in_flight = threading.BoundedSemaphore(2 * workers)  # one running and one waiting per worker
        for chunk in chunks:
            in_flight.acquire()
            try:
                future = pool.submit(_read_ipc, chunk, self._reader)
            except RuntimeError:  # the pool broke or was shut down: result() falls back
                return
            future.add_done_callback(lambda _: in_flight.release())
            self._futures.append(future)
        self._fed = True

    def __enter__(self) -> Self:
        """Use the batch in a ``with`` block, so its workers stop however the block ends."""
        return self

    def __exit__(self, *_: object) -> None:
        """Stop the workers (reading nothing more)."""
        self.close()

    def close(self) -> None:
        """Stop the workers, abandoning unread values."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def result(self) -> pl.DataFrame:
        """The readings, one row per value in order: the columns of :data:`READINGS`."""
        if self._pool is None or self._feeder is None:
            return self._reader.read_frame(self._values)
        try:
            self._feeder.join()
            if self._fed:
                return pl.concat([pl.read_ipc(future.result()) for future in self._futures])
            # The pool broke before every chunk was handed out.
            log.warning("phone_workers_failed", values=self._values.height)
        except BrokenProcessPool:
            # A worker died (killed for memory, or a main module without a __main__ guard).
            log.warning("phone_workers_failed", values=self._values.height)
        finally:
            self.close()
        # The failed futures hold their exception, whose traceback holds this call's frames and
        # so this batch with its values: let go of them, then free the cycle they leave.
        self._futures = []
        freed_failure_cycles()
        return self._reader.read_frame(self._values)


def read_phones(values: pl.DataFrame, *, workers: int = 1, reader: PhoneReader | None = None) -> pl.DataFrame:
    """Read a frame of ``text`` and ``region`` columns; see :class:`PhoneBatch`."""
    with PhoneBatch(values, workers=workers, reader=reader) as batch:
        return batch.result()

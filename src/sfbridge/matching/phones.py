"""Phone numbers: E.164 form, extension and validity, by libphonenumber (the phonenumbers package).

A number written without a country code is read in the record's country (its region code),
so "020 7946 0018" is a London number for a UK contact. Validity is ``is_valid_number``: the
number exists in its country's numbering plan (fictional ranges such as NANP 555-01xx count,
because the plan includes them). Extensions ("ext. 12", "x12") are kept apart from the number.

Parsing costs ~40 µs a value, so each distinct (text, region) is read once, and large batches
are spread over worker processes (``spawn``: forking a process that runs polars' thread pool
can deadlock).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple, Self

import phonenumbers
import polars as pl
import structlog
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

__all__ = ["PhoneBatch", "PhoneReading", "read_phone", "read_phones"]

log = structlog.get_logger()

#: Batches smaller than this are read in-process: starting workers costs ~1 s.
POOL_THRESHOLD = 40_000
_CHUNK = 20_000

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


class PhoneReading(NamedTuple):
    """What libphonenumber makes of one phone value.

    Attributes:
        e164: the number in E.164 (``+14155550134``) when it could be parsed, else None.
        extension: the extension, if one was written.
        valid: whether the number exists in its country's numbering plan.
        problem: for an invalid value, why, in plain words.
    """

    e164: str | None
    extension: str | None
    valid: bool
    problem: str | None


def _is_valid(number: phonenumbers.PhoneNumber, region: str) -> bool:
    # is_valid_number first works out which region a number belongs to, which for shared
    # country codes (+1 spans 25 regions) means testing the number against each in turn. When
    # the number is valid in the main region of its code, that search stops there (the main
    # region is tried first), so asking that region directly gives the same answer faster.
    main = phonenumbers.region_code_for_country_code(number.country_code or 0)
    if main == region and phonenumbers.is_valid_number_for_region(number, region):
        return True
    return bool(phonenumbers.is_valid_number(number))


def _problem(number: phonenumbers.PhoneNumber) -> str:
    # An invalid number has no region of its own; name the main one of its country code.
    code = number.country_code or 0
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(code)
    reason = phonenumbers.is_possible_number_with_reason(number)
    return f"{_LENGTH_PROBLEMS.get(reason, 'is not a number in use in')} {region} (+{code})"


def read_phone(text: str, region: str) -> PhoneReading:
    """Read one phone value.

    Args:
        text: the value as typed.
        region: the region to read national formats in (ISO 3166 code).

    Returns:
        Its E.164 form, extension and validity.

    >>> read_phone("(415) 555-0134 ext. 7", "US")
    PhoneReading(e164='+14155550134', extension='7', valid=True, problem=None)
    >>> read_phone("0000000000", "US").valid
    False
    """
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return PhoneReading(None, None, valid=False, problem=_PARSE_PROBLEMS.get(exc.error_type, "is unreadable"))
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    valid = _is_valid(number, region)
    return PhoneReading(e164, number.extension or None, valid=valid, problem=None if valid else _problem(number))


_READINGS = {"e164": pl.Utf8(), "extension": pl.Utf8(), "valid": pl.Boolean(), "problem": pl.Utf8()}


def read_frame(values: pl.DataFrame) -> pl.DataFrame:
    """Read a frame of ``text`` and ``region`` columns; one reading per row, in order.

    Frames (Arrow buffers) cross the process boundary far more cheaply than Python objects.

    Args:
        values: the phone values and the region to read each in.

    Returns:
        ``e164``, ``extension``, ``valid`` and ``problem`` columns.
    """
    pairs = zip(values.get_column("text").to_list(), values.get_column("region").to_list(), strict=True)
    readings = [read_phone(text, region) for text, region in pairs]
    return pl.DataFrame(
        {name: [getattr(reading, name) for reading in readings] for name in _READINGS},
        schema=_READINGS,
    )


class PhoneBatch:
    """Phone values being read, possibly in worker processes, collected with :meth:`result`.

    Chunks are handed to the workers by a feeder thread, a few at a time, so neither the
    values nor the readings pile up as Python objects in this process. Worker processes are
    started with ``spawn``, which imports the caller's main module in each worker: a script
    that reads phones in bulk must keep its own work under ``if __name__ == "__main__":`` (as
    every multiprocessing program must). If the workers cannot run, the values are read in
    this process instead.
    """

    def __init__(self, values: pl.DataFrame, *, workers: int) -> None:
        """Start reading a frame of ``text`` and ``region``; with ``workers`` > 1 large ones go to processes."""
        self._values = values
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[pl.DataFrame]] = []
        self._feeder: threading.Thread | None = None
        if workers > 1 and values.height >= POOL_THRESHOLD:
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            self._feeder = threading.Thread(target=self._feed, args=(self._pool, workers), daemon=True)
            self._feeder.start()

    def _feed(self, pool: ProcessPoolExecutor, workers: int) -> None:
        in_flight = threading.BoundedSemaphore(2 * workers)  # one running and one waiting per worker
        for start in range(0, self._values.height, _CHUNK):
            in_flight.acquire()
            try:
                future = pool.submit(read_frame, self._values.slice(start, _CHUNK))
            except RuntimeError:  # the pool broke or was shut down: result() falls back
                return
            future.add_done_callback(lambda _: in_flight.release())
            self._futures.append(future)

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
        """The readings, one row per value in order: ``e164``, ``extension``, ``valid``, ``problem``."""
        if self._pool is None or self._feeder is None:
            return read_frame(self._values)
        try:
            self._feeder.join()
            return pl.concat([future.result() for future in self._futures])
        except BrokenProcessPool:
            # A worker died (killed for memory, or a main module without a __main__ guard).
            log.warning("phone_workers_failed", values=self._values.height)
            return read_frame(self._values)
        finally:
            self.close()


def read_phones(values: pl.DataFrame, *, workers: int = 1) -> pl.DataFrame:
    """Read a frame of ``text`` and ``region`` columns; see :class:`PhoneBatch`."""
    with PhoneBatch(values, workers=workers) as batch:
        return batch.result()

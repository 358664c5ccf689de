"""Read one exported CSV as batches of rows, streamed, refusing what is not a Salesforce CSV.

What Salesforce writes, and so what is read: UTF-8 (a byte-order mark or not), commas between
values, double quotes around values that hold commas, quotes or line breaks (a quote doubled
inside), the header row first. Bulk API 2.0 requires UTF-8 and names the header "the field
names" ("Prepare CSV Files", Bulk API 2.0 Developer Guide); Data Export lets the admin pick
the encoding and can keep line breaks inside values (its "Replace carriage returns with
spaces" is optional), so both a non-UTF-8 file and quoted line breaks occur in practice.

Batches are read at C speed (``csv.reader`` through ``itertools.islice``) and checked batch by
batch; when something is wrong the file is read again, slowly, only to name the line: the
physical line (1 is the header) where the bad record starts, as an editor shows it.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator

from sfbridge.errors import ImportFileError
from sfbridge.importing.files import ObjectFile

__all__ = ["BATCH_ROWS", "CsvFile"]

BATCH_ROWS = 5000
# A long text area holds up to 131,072 characters; csv's default limit is 131,072 too, with no
# room for quoting. Raised once for the process: no field sfbridge reads is near this.
_FIELD_LIMIT = 1 << 24
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
_SAVE_AS_UTF8 = "export it again as UTF-8 (Data Export: choose UTF-8 as the encoding; Excel: save as 'CSV UTF-8')"


class CsvFile:
    """One CSV opened for reading: its header, then its records in batches."""

    def __init__(self, file: ObjectFile) -> None:
        """Open the file and read its header.

        Raises:
            ImportFileError: an empty file, a header that is not UTF-8 or not comma-separated.
        """
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
        self.file = file
        self._binary = file.open()
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._text, strict=True)
        try:
            header = next(self._reader, None)
        except (UnicodeDecodeError, csv.Error):
            self.close()
            raise self._locate() from None
        if not header:
            self.close()
            problem = "the file is empty (no header row)"
            raise ImportFileError(problem, file=file.name, line=1, fix="export it again")
        self.header = header
        self._check_delimiter()

    def _check_delimiter(self) -> None:
        if len(self.header) != 1:
            return
        for delimiter, named in _OTHER_DELIMITERS.items():
            if delimiter in self.header[0]:
                self.close()
                problem = f"the values are separated by {named}, not commas"
                raise ImportFileError(
                    problem,
                    file=self.file.name,
                    line=1,
                    fix="export it again as a comma-separated CSV (in Excel: save as 'CSV UTF-8 (Comma delimited)')",
                )

    def batches(self, size: int = BATCH_ROWS) -> Iterator[list[list[str]]]:
        """Yield the records in batches, each record a list of as many values as the header.

        Raises:
            ImportFileError: a record with another number of values, a value that is not
                UTF-8, or a broken quote, naming the line.
        """
        width = len(self.header)
        try:
            while True:
                batch = list(itertools.islice(self._reader, size))
                if not batch:
                    return
                if any(len(row) != width for row in batch):
                    raise self._locate()
                yield batch
        except (UnicodeDecodeError, csv.Error):
            raise self._locate() from None
        finally:
            self.close()

    def close(self) -> None:
        """Let the file go."""
        self._text.close()

    def _locate(self) -> ImportFileError:
        """Read the file again, slowly, to name the first line that is wrong and what is wrong with it."""
        with self.file.open() as binary:
            for number, raw in enumerate(binary, start=1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return ImportFileError(
                        f"byte {raw[exc.start : exc.start + 1].hex(' ')!r} is not UTF-8 (the file is in another "
                        "encoding, Windows-1252 or Latin-1 say)",
                        file=self.file.name,
                        line=number,
                        fix=_SAVE_AS_UTF8,
                    )
        with self.file.open() as binary, io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text, strict=True)
            width, start = None, 1
            try:
                for row in reader:
                    if width is None:
                        width = len(row)
                    elif len(row) != width:
                        return ImportFileError(
                            f"this record has {len(row)} values but the header names {width} columns",
                            file=self.file.name,
                            line=start,
                            fix="a value holding a comma, quote or line break must be in double quotes "
                            "(a quote inside doubled): export the file again rather than editing it by hand",
                        )
                    start = reader.line_num + 1
            except csv.Error as exc:
                return ImportFileError(
                    f"the CSV is broken here ({exc})",
                    file=self.file.name,
                    line=start,
                    fix="export the file again rather than editing it by hand",
                )
        return ImportFileError("the file cannot be read as CSV", file=self.file.name, fix="export it again")

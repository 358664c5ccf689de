"""findings.xlsx's zip deflated at zlib's fastest level: XlsxWriter's own packing, with level 1 instead of 6.

XlsxWriter zips a workbook's parts with ``zipfile``'s default deflate (zlib level 6), and for
a large audit that deflate was most of what the workbook's worker spends beside laying out the
rows (whose XML is made a column at a time with polars: :mod:`sfbridge.report.sheet_xml`). At
level 1 a 159k-finding workbook (a million records' audit) takes 5.1-5.3 CPU seconds to write
instead of 6.2-6.4, for a file of 29.2 MB instead of 23.1 MB. XlsxWriter offers no option for the level, so
:class:`FastZipWorkbook` overrides the private method that writes the zip
(``Workbook._store_workbook``, XlsxWriter 3.3.1's ``workbook.py``) with a copy of it that
opens the zip with ``compresslevel=1``; everything else (each part's bytes, their order and
dates) is XlsxWriter's. The copy relies on XlsxWriter's internals: with another release (the
project pins 3.3.x), or any of the private calls it makes missing, it leaves the zip to
XlsxWriter's own method, at the default level (:func:`fast_zip_fits`).
"""

from __future__ import annotations

import os
import time
from typing import Any
from zipfile import ZIP_DEFLATED, LargeZipFile, ZipFile

import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type hints
from xlsxwriter.workbook import Workbook  # type: ignore[import-untyped]

__all__ = ["ZIP_LEVEL", "FastZipWorkbook", "fast_zip_fits"]

#: zlib's level for the workbook's parts (1: fastest; XlsxWriter leaves zipfile's default, 6).
ZIP_LEVEL = 1

#: The XlsxWriter releases whose ``_store_workbook`` :meth:`FastZipWorkbook._store_workbook` copies.
_COPIED_FROM = "3.3."
#: What the copy calls or reads of XlsxWriter's workbook, besides its public methods.
_INTERNALS = (
    "_store_workbook",
    "_get_packager",
    "_prepare_sst_string_data",
    "_prepare_vml",
    "_prepare_defined_names",
    "_prepare_drawings",
    "_add_chart_data",
    "_prepare_tables",
    "_prepare_metadata",
    "worksheet_meta",
    "worksheets_objs",
    "allow_zip64",
    "in_memory",
    "tmpdir",
    "vba_project",
)


def fast_zip_fits(workbook: Any, version: str | None = None) -> bool:  # noqa: ANN401 (a Workbook)
    """Whether the copied zip writer fits this workbook: the XlsxWriter it was copied from, each internal it uses.

    ``version``: XlsxWriter's (default: the one installed). A workbook kept in memory
    (``in_memory``) is left to XlsxWriter: the copy writes only parts on disk, as sfbridge's
    workbooks are (``constant_memory``).
    """
    return (
        (version or xlsxwriter.__version__).startswith(_COPIED_FROM)
        and all(hasattr(workbook, name) for name in _INTERNALS)
        and not workbook.in_memory
    )


class FastZipWorkbook(Workbook):  # type: ignore[misc]  # XlsxWriter's class is untyped
    """An XlsxWriter workbook whose zip is deflated at :data:`ZIP_LEVEL`; its parts are XlsxWriter's to the byte."""

    def _store_workbook(self) -> None:
        if not fast_zip_fits(self):
            super()._store_workbook()
            return
        # From here on, XlsxWriter 3.3.1's Workbook._store_workbook as it is, less its in-memory
        # branch (fast_zip_fits leaves that to it) and with compresslevel given to the zip.
        xlsx_file = ZipFile(
            self.filename, "w", compression=ZIP_DEFLATED, allowZip64=self.allow_zip64, compresslevel=ZIP_LEVEL
        )
        try:
            self._zip_parts(xlsx_file, self._packaged())
        finally:
            xlsx_file.close()  # XlsxWriter closes it only on success; an error here leaves no file open either

    def _packaged(self) -> list[tuple[Any, str, bool]]:
        """The workbook's parts, as XlsxWriter's packager lays them out (temporary files)."""
        packager = self._get_packager()
        if not self.worksheets():  # a default worksheet if none has been added
            self.add_worksheet()
        if self.worksheet_meta.activesheet == 0:  # at least one worksheet selected
            self.worksheets_objs[0].selected = 1
            self.worksheets_objs[0].hidden = 0
        for sheet in self.worksheets():
            if sheet.index == self.worksheet_meta.activesheet:
                sheet.active = 1
        if self.vba_project:
            for sheet in self.worksheets():
                if sheet.vba_codename is None:
                    sheet.set_vba_name()
        self._prepare_sst_string_data()
        self._prepare_vml()
        self._prepare_defined_names()
        self._prepare_drawings()
        self._add_chart_data()
        self._prepare_tables()
        self._prepare_metadata()
        packager._add_workbook(self)  # noqa: SLF001 (XlsxWriter's own packing, as its method does it)
        packager._set_tmpdir(self.tmpdir)  # noqa: SLF001
        packager._set_in_memory(self.in_memory)  # noqa: SLF001
        return packager._create_package()  # type: ignore[no-any-return]  # noqa: SLF001

    @staticmethod
    def _zip_parts(xlsx_file: ZipFile, xml_files: list[tuple[Any, str, bool]]) -> None:
        # XlsxWriter dates each part 31/1/1980 (1/1/1980, Excel's own, is not portable).
        timestamp = time.mktime((1980, 1, 31, 0, 0, 0, 0, 0, -1))
        for file_id, (os_filename, xml_filename, _is_binary) in enumerate(xml_files):
            os.utime(os_filename, (timestamp, timestamp))
            try:
                xlsx_file.write(os_filename, xml_filename)
                os.remove(os_filename)  # noqa: PTH107 (as XlsxWriter does)
            except LargeZipFile:
                # XlsxWriter removes the parts not yet written (all but its last: kept as it is).
                for index in range(file_id, len(xml_files) - 1):
                    os.remove(xml_files[index][0])  # noqa: PTH107
                raise

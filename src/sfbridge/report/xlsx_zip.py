"""findings.xlsx's zip deflated at zlib's fastest level: XlsxWriter's own packing, with level 1 instead of 6.

XlsxWriter zips a workbook's parts with ``zipfile``'s default deflate (zlib level 6), a sixth
of what the workbook's worker spends on a large audit (the rows' XML is made a column at a
time with polars: :mod:`sfbridge.report.sheet_xml`). At level 1 a 159k-finding workbook (a
million records' audit) takes 5.1-5.3 CPU seconds to write instead of 6.2-6.4, for a file of
29.2 MB instead of 23.1 MB. XlsxWriter offers no option for the level, and its
``Workbook._store_workbook`` opens the zip as ``ZipFile(...)``, the name its module imported
from ``zipfile`` (XlsxWriter 3.3's ``workbook.py``). :class:`FastZipWorkbook` points that name
at a ``ZipFile`` whose level defaults to 1 while XlsxWriter's own method runs, so every part,
its order and its date stay XlsxWriter's. Where the module no longer holds that name (another
release), XlsxWriter writes the zip as it always does, at the default level.
"""

from __future__ import annotations

import threading
import zipfile
from typing import Any

from xlsxwriter import workbook as xlsxwriter_workbook  # type: ignore[import-untyped]  # no type hints

__all__ = ["ZIP_LEVEL", "FastZipWorkbook", "fast_zip_fits"]

#: zlib's level for the workbook's parts (1: fastest; XlsxWriter leaves zipfile's default, 6).
ZIP_LEVEL = 1

# The name is XlsxWriter's module's: two workbooks closed at once in two threads take turns.
_PATCHING = threading.Lock()


class _FastZipFile(zipfile.ZipFile):
    """``zipfile.ZipFile`` whose deflate level defaults to :data:`ZIP_LEVEL`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 (zipfile's own signature)
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


def fast_zip_fits() -> bool:
    """Whether XlsxWriter's workbook module opens its zip through the ``ZipFile`` name this module swaps."""
    return getattr(xlsxwriter_workbook, "ZipFile", None) is zipfile.ZipFile


class FastZipWorkbook(xlsxwriter_workbook.Workbook):  # type: ignore[misc]  # XlsxWriter's class is untyped
    """An XlsxWriter workbook whose zip is deflated at :data:`ZIP_LEVEL`; its parts are XlsxWriter's to the byte."""

    def _store_workbook(self) -> None:
        with _PATCHING:
            if not fast_zip_fits():
                super()._store_workbook()
                return
            xlsxwriter_workbook.ZipFile = _FastZipFile
            try:
                super()._store_workbook()
            finally:
                xlsxwriter_workbook.ZipFile = zipfile.ZipFile

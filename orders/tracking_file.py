"""Import Tracking's file (SPEC S8): the whole-file checks, the header, and its records.

A header row, then one row per order. Column names are matched loosely ("Tracking #",
"tracking_number", "N° de suivi" ...); `;`, `,` or tab delimited; UTF-8 with or without a BOM
(Excel's "CSV UTF-8"), or Windows-1252 (Excel's plain CSV); at most 2 MB.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

logger = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024

__all__ = ["MAX_BYTES", "Record", "TrackingFile", "TrackingImportError", "tracking_file_read"]


class TrackingImportError(ValueError):
    """The file as a whole cannot be imported (not a CSV, too large, no known header); nothing changed."""


# Header names, normalised (lowercase, accents and non-letters removed) -> our field.
_HEADERS = {
    "order_id": {
        "orderid",
        "order",
        "id",
        "ordernumber",
        "orderno",
        "commande",
        "ncommande",
        "ndecommande",
        "numerocommande",
        "numerodecommande",
    },
    "channel_order_id": {
        "channelorderid",
        "channelorder",
        "channelordernumber",
        "cdiscountorderid",
        "marketplaceorderid",
        "marketplaceorder",
        "ordercdiscount",
        "commandecdiscount",
    },
    "carrier": {"carrier", "carriername", "shippingcarrier", "transporteur"},
    "tracking_number": {
        "trackingnumber",
        "tracking",
        "trackingno",
        "trackingnum",
        "trackingid",
        "parcelnumber",
        "numerodesuivi",
        "ndesuivi",
        "suivi",
    },
    "ship_date": {"shipdate", "shippeddate", "dateshipped", "shippingdate", "dateexpedition", "dateenvoi"},
    "service": {"service", "shippingservice", "shipmethod", "shippingmethod"},
    "tracking_url": {"trackingurl", "trackinglink", "urlsuivi", "liensuivi"},
    "shipping_cost": {"shippingcost", "cost", "coutexpedition", "fraisdeport"},
}
_REQUIRED_TEXT = "Order ID (or Channel Order ID), Carrier, Tracking Number, Ship Date"
_NOT_CSV = "This is not a CSV file: save the sheet as CSV (UTF-8) and import that."


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z]", "", text.replace("#", "number"))


def _read(file: IO[bytes] | bytes) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        size = getattr(file, "size", None)
        if size is not None and size > MAX_BYTES:
            raise TrackingImportError(_too_large(size))
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TrackingImportError(_too_large(len(data)))
    return data


def _too_large(size: int) -> str:
    return f"The file is too large ({size / 1024 / 1024:.1f} MB): at most 2 MB. Split it into several files."


def _decode(data: bytes) -> str:
    if not data.strip():
        raise TrackingImportError("The file is empty.")
    # A spreadsheet, a PDF or an image has NUL bytes (or other control characters) a CSV never has.
    sample = data[:8192]
    if b"\x00" in sample or data[:4] == b"PK\x03\x04":
        raise TrackingImportError(_NOT_CSV)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's plain "CSV" on French Windows
    if not text.strip():  # a BOM alone, with or without blank lines, is an empty file too
        raise TrackingImportError("The file is empty.")
    if sum(ch < " " and ch not in "\r\n\t" for ch in text[:8192]) > 0:
        raise TrackingImportError(_NOT_CSV)
    return text


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _normalise(name)
        for field_name, names in _HEADERS.items():
            if key in names and field_name not in columns:
                columns[field_name] = index
    has_order = "order_id" in columns or "channel_order_id" in columns
    if not (has_order and "carrier" in columns and "tracking_number" in columns):
        found = ", ".join(f"“{h.strip()}”" for h in header if h.strip()) or "nothing"
        raise TrackingImportError(f"The first row must be a header with the columns {_REQUIRED_TEXT}; found {found}.")
    return columns


@dataclass(frozen=True)
class Record:
    """One record under the header: its place among them, its row number in the file, its cells."""

    index: int  # 0 for the first record under the header
    row: int  # the row number in the file: the header is row 1 (a spreadsheet's numbering)
    cells: list[str] | None  # None: the csv reader could not read it


class TrackingFile:
    """A file that passed the whole-file checks: its text, its columns, and its records in order.

    Reading the records again gives the same ones in the same order, so a job that stopped after
    N records resumes with `records(start=N)`.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.delimiter = _delimiter(text.splitlines()[0])
        try:
            header = next(self._reader())
        except (StopIteration, csv.Error) as exc:
            logger.info("event=tracking_import_unreadable_header error=%s", exc)
            raise TrackingImportError(_NOT_CSV) from None
        self.columns = _columns(header)

    def _reader(self) -> Iterator[list[str]]:
        return csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)

    def records(self, start: int = 0) -> Iterator[Record]:
        """The records under the header, from the one at `start` on."""
        reader = self._reader()
        next(reader)  # the header, read by __init__
        index = 0
        while True:
            try:
                cells: list[str] | None = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if index >= start:
                    logger.info("event=tracking_import_unreadable_row row=%d error=%s", index + 2, exc)
                cells = None
            if index >= start:
                yield Record(index=index, row=index + 2, cells=cells)
            index += 1

    def count(self) -> int:
        return sum(1 for _ in self.records())


def tracking_file_read(file: IO[bytes] | bytes) -> TrackingFile:
    """The file, once it is a CSV of shipments; TrackingImportError otherwise (not a CSV, empty,
    larger than 2 MB, no known header), and then nothing has changed."""
    return TrackingFile(_decode(_read(file)))

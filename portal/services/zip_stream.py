"""A ZIP archive written as it is sent: no temporary file, memory bounded by one page.

The standard library's zipfile writes to an unseekable stream with data
descriptors after each entry, which every unzip tool reads. The central
directory comes last, so an archive cut short by an error is not a valid ZIP:
combined with the aborted connection, the browser reports a failed download
rather than a complete-looking file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime


class _Sink(io.RawIOBase):
    """Collects what zipfile writes until the generator hands it on."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def zip_stream(files: Iterable[tuple[str, Iterable[bytes]]], *, when: datetime) -> Iterator[bytes]:
    """The bytes of a ZIP of ``files`` (name, chunks), yielded as each chunk is compressed.

    An exception from a file's chunks propagates at once: the central
    directory is never written, so nothing claims the archive is complete.
    """
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    for name, chunks in files:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, mode="w", force_zip64=True) as entry:
            for chunk in chunks:
                entry.write(chunk)
                if pending := sink.take():
                    yield pending
        yield sink.take()
    archive.close()
    yield sink.take()

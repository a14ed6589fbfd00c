"""Hostile event logs and process files, made on the fly, with the sentence each gets.

Each maker writes its file into a folder and returns its path; ``LOGS`` and ``PROCESSES``
pair every file with the status the API answers and the one sentence it is refused with
(``{name}`` is the file as the user named it). The listener of ``Listener`` shows that no
external entity or document type is ever fetched.
"""

from __future__ import annotations

import codecs
import gzip
import os
import socket
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = b"Case ID,Activity,Timestamp,Department\n"
ROW = b"R1,Log request,2024-03-01 09:00,Contact Centre\n"
EVENT = (
    b'<event><string key="concept:name" value="A"/>'
    b'<date key="time:timestamp" value="2024-03-01T09:00:00+00:00"/></event>'
)
TRACE = b'<trace><string key="concept:name" value="c1"/>' + EVENT + b"</trace>"
MIB = 1024**2
MAX_DECOMPRESSED = 128 * MIB
"""The expansion limit the hostile imports run with (``HANDOFF_MAX_DECOMPRESSED_BYTES``): above
the 64 MiB after which the compression ratio is checked, far below the default 10 GiB."""


class Listener:
    """A TCP port on localhost that records whether anything ever connected to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


def _xes(doctype: str, body: bytes = TRACE) -> bytes:
    return b'<?xml version="1.0"?>\n' + doctype.encode() + b"\n<log>" + body + b"</log>\n"


def _gzip(content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=6, mtime=0)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)


def _write_zeros_gzip(path: Path, size: int, head: bytes = HEADER) -> None:
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(head)
        zeros = b"0" * MIB
        for _ in range(size // MIB):
            out.write(zeros)


@dataclass(frozen=True)
class Hostile:
    """A hostile file: how to make it, the API status and the sentence it is refused with."""

    name: str
    make: Callable[[Path, int], None]
    """Writes the file at the path; the int is the listener's port."""
    status: int
    sentence: str


def _write(content: Callable[[int], bytes]) -> Callable[[Path, int], None]:
    def make(path: Path, port: int) -> None:
        path.write_bytes(content(port))

    return make


def _zip_bomb(path: Path, port: int) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("log.csv", "w", force_zip64=True) as member,
    ):
        member.write(HEADER)
        zeros = b"0" * MIB
        for _ in range(300):
            member.write(zeros)


def _declare_size(path: Path, size: int) -> None:
    """Make the central directory of a one-member zip claim another expanded size."""
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def _zip_declared_huge(path: Path, port: int) -> None:
    """A zip whose central directory claims its member expands to 4 GiB."""
    _zip(path, {"log.csv": HEADER + ROW})
    _declare_size(path, 0xFFFFFFF0)


def _zip_bomb_lying(path: Path, port: int) -> None:
    """A zip of 4 MiB of zeros whose central directory claims 1 KiB."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("log.csv", "w") as member,
    ):
        member.write(HEADER)
        zeros = b"0" * MIB
        for _ in range(4):
            member.write(zeros)
    _declare_size(path, 1024)


def _zip_many(path: Path, port: int) -> None:
    _zip(path, {f"part-{number:05}.csv": HEADER + ROW for number in range(10_000)})


def _zip_nested(path: Path, port: int) -> None:
    inner = path.with_name("inner.zip")
    _zip(inner, {"log.csv": HEADER + ROW})
    _zip(path, {"inner.zip": inner.read_bytes()})
    inner.unlink()


def _one_line_gzip(path: Path, port: int) -> None:
    """A gzip of a 1 GiB single line (1 MiB compressed, so within the ratio): the size limit
    stops it."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(HEADER)
        line = b"x" * (16 * MIB)
        for _ in range(64):
            out.write(line)


def _xes_huge_tag(path: Path, port: int) -> None:
    value = b"v" * (17 * MIB)
    path.write_bytes(
        b'<log><trace><string key="concept:name" value="'
        + value
        + b'"/>'
        + EVENT
        + b"</trace></log>"
    )


def _xes_long_trace(path: Path, port: int) -> None:
    path.write_bytes(
        b'<log><trace><string key="concept:name" value="c1"/>' + EVENT * 100_001 + b"</trace></log>"
    )


def _xes_many_attributes(path: Path, port: int) -> None:
    keys = b"".join(b'<string key="k%d" value="v"/>' % number for number in range(10_000))
    path.write_bytes(b"<log><trace><event>" + keys + b"</event></trace></log>")


def _xes_deep(path: Path, port: int) -> None:
    path.write_bytes(b"<log>" + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</log>")


LOGS = [
    Hostile(
        "entity-file.xes",
        _write(lambda port: _xes('<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>')),
        422,
        "{name}: the XES file declares a document type (DTD), which is refused because it can "
        "expand entities or fetch outside files; export the log without it.",
    ),
    Hostile(
        "entity-http.xes",
        _write(
            lambda port: _xes(
                f'<!DOCTYPE log [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/secret">]>',
                TRACE.replace(b'value="c1"', b'value="&x;"'),
            )
        ),
        422,
        "{name}: the XES file declares a document type (DTD), which is refused because it can "
        "expand entities or fetch outside files; export the log without it.",
    ),
    Hostile(
        "external-dtd.xes",
        _write(lambda port: _xes(f'<!DOCTYPE log SYSTEM "http://127.0.0.1:{port}/log.dtd">')),
        422,
        "{name}: the XES file declares a document type (DTD), which is refused because it can "
        "expand entities or fetch outside files; export the log without it.",
    ),
    Hostile(
        "parameter-entity.xes",
        _write(
            lambda port: _xes(
                f'<!DOCTYPE log [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;]>'
            )
        ),
        422,
        "{name}: the XES file declares a document type (DTD), which is refused because it can "
        "expand entities or fetch outside files; export the log without it.",
    ),
    Hostile(
        "billion-laughs.xes",
        _write(
            lambda port: _xes(
                "<!DOCTYPE log [<!ENTITY a0 'lol'>"
                + "".join(f"<!ENTITY a{i} '{f'&a{i - 1};' * 10}'>" for i in range(1, 10))
                + "]>",
                TRACE.replace(b'value="c1"', b'value="&a9;"'),
            )
        ),
        422,
        "{name}: the XES file declares a document type (DTD), which is refused because it can "
        "expand entities or fetch outside files; export the log without it.",
    ),
    Hostile(
        "unknown-encoding.xes",
        _write(lambda port: b'<?xml version="1.0" encoding="rot13"?><log>' + TRACE + b"</log>"),
        422,
        "{name}, line 1: the XML declaration names the encoding 'rot13', which cannot be read; "
        "export the log as UTF-8.",
    ),
    Hostile(
        "multibyte-encoding.xes",
        _write(lambda port: b'<?xml version="1.0" encoding="shift_jis"?><log>' + TRACE + b"</log>"),
        422,
        "{name}, line 1: the XML declaration names the encoding 'shift_jis', which cannot be "
        "read; export the log as UTF-8.",
    ),
    Hostile(
        "deep-nesting.xes",
        _xes_deep,
        422,
        "{name}, line 1, column 303: the XML nests elements more than 100 deep, which an XES "
        "log never does.",
    ),
    Hostile(
        "huge-tag.xes",
        _xes_huge_tag,
        422,
        "{name}, line 1: one tag runs for more than 16,777,216 bytes, more than any event log "
        "needs; is this really an XES file?",
    ),
    Hostile(
        "long-trace.xes",
        _xes_long_trace,
        422,
        "{name}: the trace that starts with event 1 holds more than 100,000 events, more than "
        "one case may have.",
    ),
    Hostile(
        "many-attributes.xes",
        _xes_many_attributes,
        422,
        "{name}, line 1, column 60910: an event or trace has more than 2,000 attributes, more "
        "than an event log may have.",
    ),
    Hostile(
        "gzip-bomb.csv.gz",
        lambda path, port: _write_zeros_gzip(path, 300 * MIB),
        413,
        "{name}: the file expands more than 200 times its compressed size, which is refused as "
        "a likely decompression bomb.",
    ),
    Hostile(
        "one-line-1gb.csv.gz",
        _one_line_gzip,
        413,
        "{name}: the file expands to more than 134,217,728 bytes, the most an import may hold.",
    ),
    Hostile(
        "gzip-in-gzip.csv.gz",
        _write(lambda port: _gzip(_gzip(HEADER + ROW))),
        422,
        "{name}: 'gzip-in-gzip.csv' inside it is compressed again; expand the archive and "
        "import the log it holds.",
    ),
    Hostile(
        "zip-bomb.zip",
        _zip_bomb,
        413,
        "{name}: 'log.csv' expands to 314,572,838 bytes, more than the 134,217,728 an import "
        "may hold.",
    ),
    Hostile(
        "zip-bomb-lying-size.zip",
        _zip_bomb_lying,
        422,
        "{name}: not a readable zip file (Bad CRC-32 for file 'log.csv').",
    ),
    Hostile(
        "zip-declared-4gb.zip",
        _zip_declared_huge,
        413,
        "{name}: 'log.csv' expands to 4,294,967,280 bytes, more than the 134,217,728 an import "
        "may hold.",
    ),
    Hostile(
        "zip-10000-members.zip",
        _zip_many,
        422,
        "{name}: a zip must hold exactly one event log, this one holds 10,000 files "
        "(part-00000.csv, part-00001.csv, part-00002.csv, part-00003.csv, part-00004.csv, ...).",
    ),
    Hostile(
        "zip-in-zip.zip",
        _zip_nested,
        422,
        "{name}: 'inner.zip' inside it is compressed again; expand the archive and import the "
        "log it holds.",
    ),
    Hostile(
        "zip-traversal.zip",
        lambda path, port: _zip(path, {"../../../../tmp/evil.csv": HEADER + ROW}),
        422,
        "{name}: the zip holds '../../../../tmp/evil.csv', a path that leaves the archive, "
        "which no export has; it is refused as a likely attack.",
    ),
    Hostile(
        "zip-absolute.zip",
        lambda path, port: _zip(path, {"/etc/cron.d/evil.csv": HEADER + ROW}),
        422,
        "{name}: the zip holds '/etc/cron.d/evil.csv', a path that leaves the archive, which "
        "no export has; it is refused as a likely attack.",
    ),
    Hostile(
        "million-columns.csv",
        _write(lambda port: b"," * 999_999 + b"\n" + ROW),
        422,
        "{name}, line 1: the header has 1,000,000 columns, more than the 2,000 an event log may "
        "have.",
    ),
    Hostile(
        "million-columns-quoted.csv",
        _write(lambda port: b'"Case ID"' + b",c" * 999_999 + b"\n" + ROW),
        422,
        "{name}, line 1: the header has 1,000,000 columns, more than the 2,000 an event log may "
        "have.",
    ),
    Hostile(
        "two-mib-line.csv",
        _write(lambda port: HEADER + b"R1," + b"x" * (2 * MIB) + b",2024-03-01 09:00,CC\n"),
        422,
        "{name}, line 2: the line is longer than 1,048,576 characters, more than any event log "
        "row needs; is this really a CSV export?",
    ),
    Hostile(
        "nul-bytes.csv",
        _write(lambda port: HEADER + ROW + b"R2,Log\x00\x00\x00,2024-03-01 10:00,Roads\n"),
        422,
        "{name}, line 3, column 7: the file contains a NUL character, which a text export never "
        "has; is it a binary file?",
    ),
    Hostile(
        "nul-in-utf16.csv",
        _write(
            lambda port: (
                codecs.BOM_UTF16_LE + (HEADER + ROW + b"R2,\x00\n").decode().encode("utf-16-le")
            )
        ),
        422,
        "{name}, line 3, column 4: the file contains a NUL character, which a text export never "
        "has; is it a binary file?",
    ),
    Hostile(
        "mixed-encodings.csv",
        _write(
            lambda port: (
                HEADER
                + "R1,Réparer,2024-03-01 09:00,Voirie\n".encode()
                + b"R2,R\xe9parer,2024-03-01 10:00,Voirie\n"
            )
        ),
        422,
        "{name}, line 3, column 5: byte 0xE9 is not valid UTF-8 text; save the file as UTF-8 or "
        "name its encoding with --encoding.",
    ),
    Hostile(
        "utf8-bom-then-latin-1.csv",
        _write(lambda port: codecs.BOM_UTF8 + HEADER + b"R1,R\xe9parer,2024-03-01 09:00,Voirie\n"),
        422,
        "{name}, line 2, column 5: byte 0xE9 is not valid UTF-8 text; save the file as UTF-8 or "
        "name its encoding with --encoding.",
    ),
    Hostile(
        "cesu-surrogate.csv",
        _write(lambda port: HEADER + b"R1,Log \xed\xa0\x80,2024-03-01 09:00,Roads\n"),
        422,
        "{name}, line 2, column 8: byte 0xED is not valid UTF-8 text; save the file as UTF-8 or "
        "name its encoding with --encoding.",
    ),
    Hostile(
        "not-windows-1252.csv",
        _write(lambda port: HEADER + b"R1,Log\x81request,2024-03-01 09:00,Roads\n"),
        422,
        "{name}, line 2, column 7: byte 0x81 is not valid UTF-8 text; save the file as UTF-8 or "
        "name its encoding with --encoding.",
    ),
    Hostile(
        "odd-utf16.csv",
        _write(
            lambda port: codecs.BOM_UTF16_LE + (HEADER + ROW).decode().encode("utf-16-le") + b"R"
        ),
        422,
        "{name}, line 3, column 1: byte 0x52 is not valid UTF-16 text; save the file as UTF-8 or "
        "name its encoding with --encoding.",
    ),
    Hostile(
        "lone-carriage-return.csv",
        _write(lambda port: HEADER + b"R1,Log\rrequest,2024-03-01 09:00,Roads\n"),
        422,
        "{name}, line 2, column 7: a carriage return that ends no line stands outside quotes; "
        "save the file with Windows or Unix line ends, or quote the value.",
    ),
    Hostile(
        "fake.parquet",
        _write(lambda port: b"PAR1" + os.urandom(4096)),
        422,
        "{name}: not a readable Parquet file (parquet: File out of specification: The file "
        "must end with PAR1 or PARE).",
    ),
]
"""Every hostile log, with the status and sentence of its refusal."""


def make_logs(folder: Path, port: int) -> dict[str, Path]:
    """Write every hostile log into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for hostile in LOGS:
        path = folder / hostile.name
        hostile.make(path, port)
        paths[hostile.name] = path
    return paths

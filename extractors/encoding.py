"""Turn raw bytes of a pasted page into clean Unicode text.

Pasted pages arrive as bytes in whatever encoding the tool that saved them chose, so
decoding tries, in order:

1. A byte-order mark: UTF-32 (checked before UTF-16, whose little-endian BOM is a prefix
   of UTF-32's), UTF-8 and UTF-16. A BOM is an explicit statement, so undecodable
   sequences behind one are replaced rather than second-guessed.
2. Strict UTF-8: random legacy bytes almost never form valid UTF-8, so success is a
   reliable signal.
3. cp1252 (Windows "ANSI", the usual culprit behind curly quotes that break UTF-8), with
   the five bytes cp1252 leaves undefined read as latin-1 instead. That is the
   "cp1252, then latin-1" fallback applied byte by byte, so one stray byte does not
   turn every curly quote of the document into a control character.

Binary input (images, archives, PDFs) is rejected up front by its magic number, and
afterwards by the share of control characters in the decoded text: text has almost
none, while binary data decoded as cp1252/latin-1 is full of them. Any NUL character is
taken as binary too (the rule ``git`` and ``file`` use), which means UTF-16 without a
BOM is rejected rather than guessed at.

The result has ``\\n`` line endings only and is NFC-normalised, so that the same
visible text always compares equal downstream.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from extractors.models import ExtractionError

# Byte-order marks, longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of binary formats that plausibly end up in a seed folder by mistake.
BINARY_SIGNATURES: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x1f\x8b",  # gzip
    b"PK\x03\x04",  # zip, docx, xlsx, epub
    b"%PDF-",
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",  # 7-zip
    b"\x28\xb5\x2f\xfd",  # zstandard
    b"\x7fELF",  # executables
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # legacy MS Office
)

# Bytes that cp1252 leaves undefined; they are decoded as latin-1 (i.e. U+0081 ...).
CP1252_UNDEFINED_BYTES = re.compile(rb"([\x81\x8d\x8f\x90\x9d])")

# C0 controls other than tab/newline/carriage return/form feed/vertical tab, DEL, the C1
# controls, and U+FFFD (what a BOM-declared decode puts in place of garbage).
SUSPICIOUS_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
BINARY_SUSPICIOUS_RATIO = 0.10
# The ratio is measured on a prefix: binary data is binary from its first bytes.
BINARY_SAMPLE_CHARS = 65_536

NEWLINES = re.compile(r"\r\n?|\u2028")

# Terminal control sequences, whole (the ESC or C1 introducer, parameters and final byte):
# CSI (cursor moves, clear screen), OSC (window title, clipboard writes) up to BEL or ST,
# and the two-character escapes. Then any other C0/C1 control, except tab and newline.
TERMINAL_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PARAGRAPH_SEPARATOR = "\u2029"


def decode_text(raw: bytes) -> str:
    """Decode ``raw`` into NFC-normalised text with ``\\n`` newlines.

    Raises ``ExtractionError("empty_input")`` for empty or whitespace-only input and
    ``ExtractionError("binary_content")`` for data that is not text.
    """
    if not raw:
        raise ExtractionError("empty_input", "no bytes")
    signature = _binary_signature(raw)
    if signature is not None:
        raise ExtractionError("binary_content", f"starts with the signature {signature!r}")

    text = _decode_bytes(raw)
    _reject_binary_text(text)
    text = _normalise_newlines(text)
    text = unicodedata.normalize("NFC", text)
    if not _has_visible_characters(text):
        raise ExtractionError("empty_input", "only whitespace")
    return text


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and newline
    stay): text from outside must never drive the terminal that shows it."""
    return CONTROL_CHARACTERS.sub("", TERMINAL_SEQUENCES.sub("", text))


def _binary_signature(raw: bytes) -> bytes | None:
    return next((sig for sig in BINARY_SIGNATURES if raw.startswith(sig)), None)


def _decode_bytes(raw: bytes) -> str:
    for bom, encoding in BYTE_ORDER_MARKS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_cp1252_with_latin1_fallback(raw)


def _decode_cp1252_with_latin1_fallback(raw: bytes) -> str:
    # re.split with a capturing group alternates text chunks and single undefined bytes.
    pieces = CP1252_UNDEFINED_BYTES.split(raw)
    return "".join(
        piece.decode("latin-1") if index % 2 else piece.decode("cp1252")
        for index, piece in enumerate(pieces)
    )


def _reject_binary_text(text: str) -> None:
    if "\x00" in text:
        raise ExtractionError("binary_content", "contains NUL characters")
    sample = text[:BINARY_SAMPLE_CHARS]
    suspicious = len(SUSPICIOUS_CHARS.findall(sample))
    if sample and suspicious / len(sample) > BINARY_SUSPICIOUS_RATIO:
        raise ExtractionError(
            "binary_content", f"{suspicious} of the first {len(sample)} characters are controls"
        )


def _normalise_newlines(text: str) -> str:
    text = NEWLINES.sub("\n", text)
    return text.replace(PARAGRAPH_SEPARATOR, "\n\n").lstrip("\ufeff")


def _has_visible_characters(text: str) -> bool:
    # Zero-width and other format characters (category Cf) are as invisible as spaces.
    # strip() first so whitespace-only input is settled without a per-character loop.
    stripped = text.strip()
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in stripped)

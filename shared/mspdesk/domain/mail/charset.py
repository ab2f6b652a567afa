"""Bytes to text whatever the sender declared: charsets, RFC 2047 words, raw 8-bit headers.

Mail software often names a charset other than the one it wrote. We follow the WHATWG Encoding
Standard, which browsers use for the same problem: ISO-8859-1 means Windows-1252, GB2312 means
GB18030, Shift_JIS means Windows-31J, EUC-KR means Windows-949. Undeclared, unknown or
undecodable data goes through UTF-8 and then Windows-1252, which decodes every byte.
"""

from __future__ import annotations

import binascii
import codecs
import re
from functools import lru_cache

# Windows-1252 leaves five bytes undefined; WHATWG maps them to the C1 controls of the same value,
# so this table decodes every byte (latin-1 first, then the 0x80-0x9F row as Windows-1252).
_WINDOWS_1252_ROW = {
    i: (bytes([i]).decode("cp1252", "ignore") or chr(i)) for i in range(0x80, 0xA0)
}

_LATIN1_LABELS = ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819")
_ASCII_LABELS = ("us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "646", "us_ascii")

# Labels whose real content is a superset codec (WHATWG), and codecs to try in order.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    **{label: ("cp1252",) for label in _LATIN1_LABELS},
    "iso-8859-9": ("cp1254",),
    "latin5": ("cp1254",),
    "iso-8859-11": ("cp874",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "gb2312": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "csgb2312": ("gb18030",),
    "euc-cn": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "ms_kanji": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "euc-kr": ("cp949",),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "korean": ("cp949",),
    "unicode-1-1-utf-7": ("utf-7",),
    "utf8": ("utf-8",),
}

# Codecs Python knows that are not charsets a mail may be written in.
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem"}
)
_LABEL_JUNK = " \t\r\n\"';,"


def windows_1252(data: bytes) -> str:
    """Decode as Windows-1252, keeping its five undefined bytes as C1 controls (never fails)."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1").translate(_WINDOWS_1252_ROW)


@lru_cache(maxsize=256)
def codecs_for(label: str) -> tuple[str, ...] | None:
    """The Python codecs to try for a declared charset label, or None when it names none."""
    name = label.strip(_LABEL_JUNK).lower()
    if not name:
        return None
    if name in _SUPERSETS:
        return _SUPERSETS[name]
    for candidate in (name, name[2:] if name.startswith("x-") else None):
        if not candidate:
            continue
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        text_codec = getattr(info, "_is_text_encoding", True)
        if info.name in _NOT_CHARSETS or not text_codec:
            return None
        return (info.name,)
    return None


_ASCII = bytes(range(128))


def _fallback(data: bytes) -> tuple[str, str]:
    """UTF-8, or Windows-1252 when the bytes do not look like UTF-8.

    UTF-8 with a stray bad byte (a truncated name, a pasted symbol) stays UTF-8 with a
    replacement character; in Windows-1252 text almost every byte above 0x7F is invalid UTF-8.
    """
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if bad * 4 <= len(data.translate(None, _ASCII)):
        return text, "utf-8 with replacement"
    return windows_1252(data), "windows-1252"


def _storable(text: str) -> str:
    """Lone surrogates (UTF-7 can decode to them) replaced, so the text encodes as UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode `data` declared as `charset`; returns the text and a defect note (None when clean).

    Never raises: an unknown label or undecodable bytes fall back to UTF-8, then Windows-1252.
    The text never holds lone surrogates.
    """
    text, defect = _decode(data, charset)
    return _storable(text), defect


def _decode(data: bytes, charset: str | None) -> tuple[str, str | None]:
    if not data:
        return "", None
    label = (charset or "").strip(_LABEL_JUNK).lower()
    if not label or label in _ASCII_LABELS:
        if data.isascii():
            return data.decode("ascii"), None
        text, used = _fallback(data)
        declared = f"declared {label}" if label else "no charset declared"
        return text, f"8-bit text with {declared}: decoded as {used}"
    candidates = codecs_for(label)
    if candidates is None:
        text, used = _fallback(data)
        return text, f"unknown charset {label!r}: decoded as {used}"
    if candidates == ("cp1252",):
        return windows_1252(data), None
    for name in candidates:
        try:
            return data.decode(name), None
        except UnicodeDecodeError:
            continue
        except Exception:  # noqa: S112 - a codec may fail in its own ways; try the next
            continue
    try:
        text = data.decode(candidates[0], "replace")
    except Exception:
        text, used = _fallback(data)
        return text, f"undecodable as {label}: decoded as {used}"
    return text, f"invalid {label} data: undecodable bytes replaced"


def decode_text(data: bytes, charset: str | None) -> str:
    """`decode_bytes` without the defect note."""
    return decode_bytes(data, charset)[0]


def fix_8bit(value: str) -> str:
    """Undo the surrogate escapes the bytes parser leaves for raw 8-bit header bytes."""
    if value.isascii():
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return _fallback(raw)[0]


_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINES = re.compile(r"[\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def unfold(value: str) -> str:
    """Join folded header lines (RFC 5322 2.2.3) and strip the ends."""
    return _NEWLINES.sub(" ", _FOLD.sub("", value)).strip()


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("ascii", "replace")
    try:
        if encoding in "bB":
            data = data.rstrip(b"=")
            decoded = binascii.a2b_base64(data + b"=" * (-len(data) % 4))
            # Nothing decoded from something: not base64 at all, keep the word as written.
            return decoded if decoded or not data else None
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header_words(value: str) -> str:
    """A raw header value to text: unfolded, RFC 2047 encoded words and raw 8-bit bytes decoded.

    Adjacent encoded words in one charset are joined before decoding, so a multibyte character
    split across two words survives; whitespace between encoded words is dropped (RFC 2047 6.2).
    """
    value = unfold(value)
    if "=?" not in value:
        return fix_8bit(value)
    out: list[str] = []
    run: bytearray = bytearray()
    run_charset: str | None = None
    last_end = 0
    previous_was_word = False

    def flush() -> None:
        nonlocal run, run_charset
        if run_charset is not None:
            out.append(decode_text(bytes(run), run_charset))
        run = bytearray()
        run_charset = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[last_end : match.start()]
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            continue
        if between and not (previous_was_word and between.isspace()):
            flush()
            out.append(fix_8bit(between))
        charset = match.group(1).lower()
        if charset != run_charset:
            flush()
            run_charset = charset
        run += decoded
        last_end = match.end()
        previous_was_word = True
    flush()
    out.append(fix_8bit(value[last_end:]))
    return "".join(out)

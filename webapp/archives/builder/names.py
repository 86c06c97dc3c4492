"""Member names that are safe to extract on any system."""

from __future__ import annotations

import re
import unicodedata

from pathvalidate import sanitize_filename

# A member is "files/<id>-<name>": 200 bytes leave room for the id under the 255-byte limit
# of common file systems, whatever the script the name is written in.
MAX_NAME_BYTES = 200
MAX_EXTENSION = 16
# Cc: control characters (NUL...); Cf: format characters, which include the bidi overrides and
# zero-width characters; Cs: lone surrogates. pathvalidate removes the first but keeps the others.
HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs")


def is_hidden(char: str) -> bool:
    """Tell whether a character is invisible or reorders text around it."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def safe_file_name(name: str) -> str:
    """Reduce a user-given file name to one harmless path component."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", name) if not is_hidden(ch))
    # No "..", no separator, no leading dot (hidden file) or trailing dot (Windows drops it).
    text = re.sub(r"\.{2,}", ".", text.replace("/", "_").replace("\\", "_")).strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    ext = ext[:MAX_EXTENSION]
    stem = _truncate(stem, MAX_NAME_BYTES - len(ext.encode()) - 1)
    joined = f"{stem}.{ext}" if ext and stem else stem or ext
    # pathvalidate knows every platform's reserved names (CON, COM¹, CLOCK$...) and characters.
    return sanitize_filename(joined, replacement_text="_", platform="universal") or "file"


def _truncate(text: str, max_bytes: int) -> str:
    """Cut text to at most max_bytes of UTF-8 without splitting a character."""
    return text.encode()[:max_bytes].decode(errors="ignore")

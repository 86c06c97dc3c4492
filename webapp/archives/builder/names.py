"""Member names that are safe to extract on any system."""

from __future__ import annotations

import re
import unicodedata

RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
UNSAFE = re.compile(r'[\\/:*?"<>|]')
MAX_NAME = 120


def safe_file_name(name: str) -> str:
    """Reduce a user-given file name to one harmless path component."""
    text = unicodedata.normalize("NFC", name)
    # Cc: control characters; Cf: format characters, which include the bidi overrides.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = UNSAFE.sub("_", text).strip(" .")
    text = re.sub(r"\.{2,}", ".", text)
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".")[0].lower() in RESERVED:
        stem = "_" + stem
    ext = ext[:16]
    stem = stem[: MAX_NAME - len(ext) - 1]
    return (f"{stem}.{ext}" if ext and stem else stem or ext) or "file"

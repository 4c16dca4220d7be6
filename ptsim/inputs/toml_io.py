"""One reader for ptsim's TOML files (conditions, plans, calibrated layers, evidence settings).

Every error is a ``ValueError`` (``FileNotFoundError`` for a missing file) whose message starts with
the file's name and names the key at fault and what is accepted. Readers are strict: a key the
format does not define is an error with the closest accepted key ("did you mean 'min'?"), because a
misspelled key that is silently ignored leaves a default in place that the user believes changed.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable
from pathlib import Path


def read_toml(path: str | Path, what: str = "TOML file") -> dict:
    """Read and parse a TOML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    what : str
        What the file is, for messages (e.g. ``"plan file"``).

    Raises
    ------
    FileNotFoundError
        The path does not exist.
    ValueError
        The path is a folder, the file is not UTF-8 text, or it is not valid TOML.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; expected a {what} (a .toml file)")
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    return parse_toml(path.read_bytes(), str(path))


def parse_toml(text: str | bytes, filename: str = "<string>") -> dict:
    """Parse TOML text (or UTF-8 bytes); errors name ``filename``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{filename}: not UTF-8 text (undecodable byte 0x{text[exc.start]:02x} at offset "
                f"{exc.start}); TOML files must be saved as UTF-8"
            ) from None
    if "\x00" in text:
        raise ValueError(f"{filename}: contains NUL bytes: a binary file, not UTF-8 TOML text")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{filename}: not valid TOML: {exc}") from None


def closest(key: str, accepted: Iterable[str]) -> str | None:
    """The accepted key closest to a misspelled one, or None if none is close."""
    accepted = list(accepted)
    match = difflib.get_close_matches(key, accepted, n=1, cutoff=0.5)
    if match:
        return match[0]
    # A key that starts like an accepted one ('minimum' for 'min') is close too.
    prefix = [a for a in accepted if key.startswith(a) or a.startswith(key)]
    return prefix[0] if prefix else None


def unknown_key_message(filename: str, table: str, key: str, accepted: Iterable[str]) -> str:
    """The message for a key that ``table`` does not define (``table`` "" is the top level)."""
    accepted = list(accepted)
    dotted = f"{table}.{key}" if table else key
    where = f"table [{table}]" if table else "the top level"
    close = closest(key, accepted)
    hint = f"did you mean '{close}'? " if close else ""
    return (
        f"{filename}: key '{dotted}': unknown key in {where}; {hint}accepted: {', '.join(accepted) or 'none'}"
    )


def check_keys(node: dict, accepted: Iterable[str], filename: str, table: str = "") -> None:
    """Raise ``ValueError`` for the first key of ``node`` not in ``accepted``."""
    accepted = list(accepted)
    for key in node:
        if key not in accepted:
            raise ValueError(unknown_key_message(filename, table, key, accepted))


def describe(value) -> str:
    """A value as a user wrote it, for messages (``nan``, not ``np.float64(nan)``)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()  # numpy scalars print as np.float64(...) in their repr
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return repr(value)


class TomlReader:
    """Reads a parsed TOML document, naming the file and the dotted key in every error."""

    def __init__(self, doc: dict, filename: str):
        self.doc, self.filename = doc, filename
        self.sources: dict[str, str] = {}

    def fail(self, key, expected, got=None):
        tail = "" if got is None else f", got {describe(got)}"
        raise ValueError(f"{self.filename}: key '{key}': expected {expected}{tail}")

    def table(self, key, required=True):
        node = self.doc
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    self.fail(key, "a table")
                return {}
            node = node[part]
        if not isinstance(node, dict):
            self.fail(key, "a table", node)
        return node

    def keys(self, key: str, accepted: Iterable[str]) -> None:
        """Refuse keys of table ``key`` ("" for the top level) outside ``accepted``."""
        check_keys(self.table(key) if key else self.doc, accepted, self.filename, key)

    def text(self, table, key):
        value = self.table(table).get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{table}.{key}", "a non-empty string", value)
        return value

    def number(self, key, value, low=-math.inf, high=math.inf, allow_inf=False):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or math.isnan(value) or (math.isinf(value) and not allow_inf):
            self.fail(key, "a finite number" + (" or inf" if allow_inf else ""), value)
        if not low <= value <= high:
            self.fail(key, f"a number in [{low:g}, {high:g}]", value)
        return float(value)

    def sourced(self, table, key, low=-math.inf, high=math.inf, allow_inf=False, extra=()):
        """A ``{ value = x, source = "..." }`` entry (``extra``: further keys the entry may have)."""
        full = f"{table}.{key}"
        entry = self.table(table).get(key)
        if not isinstance(entry, dict) or "value" not in entry:
            self.fail(full, '{ value = <number>, source = "<citation or assumption>" }', entry)
        check_keys(entry, ("value", "source", *extra), self.filename, full)
        self.source(full, entry)
        return self.number(f"{full}.value", entry["value"], low, high, allow_inf)

    def source(self, full, entry):
        src = entry.get("source")
        if not isinstance(src, str) or not src.strip():
            self.fail(f"{full}.source", 'a citation or the word "assumption"', src)
        self.sources[full] = src

"""Run Voila for the dashboard, with a fix for a server hang that any local client could trigger.

Voila (0.5.13) drops ``execute_input`` messages on their way to the page; to find them it reads the
header of every binary kernel message as if it were in the ``v1.kernel.websocket.jupyter.org``
format. A client that connects without that subprotocol gets binary messages in the legacy format
(a 4-byte big-endian count first), whose first 8 bytes read as a count of about 10**18 offsets:
Voila then builds that list in the server's event loop, growing by ~50 MB/s without bound and
ignoring SIGTERM. The widget states that ``request_states`` returns are such a message (the app's
figure travels as a binary buffer), so a local script that asks for them freezes the dashboard for
every user. :func:`read_header_from_binary_message` reads both formats in time bounded by the
message's size; :func:`main` installs it and starts Voila.

Run as ``python -m ptsim.teaching.voila_server NOTEBOOK [voila options]``
(:func:`ptsim.teaching.dashboard.voila_command` builds that command).
"""

from __future__ import annotations

import json
import sys

V1_SUBPROTOCOL_MIN_PARTS = 3
"""A v1 message has at least the header, parent header and metadata parts before its content."""


def _json(data: bytes):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def read_header_from_binary_message(ws_msg: bytes) -> dict | None:
    """The header of a binary kernel message in either websocket format, or None.

    v1 format: an 8-byte little-endian count of offsets, the offsets (8 bytes each), then the parts
    (channel, header, parent header, metadata, content, buffers). Legacy format: a 4-byte big-endian
    count of parts, their 4-byte offsets, then the message as JSON (header included) and its
    buffers. Offsets are read only if they fit in the message, so the work is bounded by its size.
    """
    size = len(ws_msg)
    if size >= 8:
        n = int.from_bytes(ws_msg[:8], "little")
        if V1_SUBPROTOCOL_MIN_PARTS <= n and 8 * (n + 1) <= size:
            offsets = [int.from_bytes(ws_msg[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
            header = _json(ws_msg[offsets[1] : offsets[2]])
            if isinstance(header, dict):
                return header
        n = int.from_bytes(ws_msg[:4], "big")
        if 1 <= n and 4 * (n + 1) <= size:
            start = int.from_bytes(ws_msg[4:8], "big")
            end = int.from_bytes(ws_msg[8:12], "big") if n > 1 else size
            msg = _json(ws_msg[start:end])
            if isinstance(msg, dict) and isinstance(msg.get("header"), dict):
                return msg["header"]
    return None


def install() -> None:
    """Replace Voila's header reader by :func:`read_header_from_binary_message`."""
    from voila.tornado import kernel_websocket_handler

    kernel_websocket_handler.read_header_from_binary_message = read_header_from_binary_message


def main(argv: list[str] | None = None) -> None:
    """Start Voila (its command-line arguments) with the fix installed."""
    install()
    from voila.app import main as voila_main

    voila_main(argv=sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()

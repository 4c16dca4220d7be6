"""The dashboard's server under a hostile local client: memory stays bounded, SIGTERM stops it.

A local script (no browser) loads the page, connects to its kernel's websocket without the v1
subprotocol, asks ipywidgets for the state of every widget (``request_states``) and disconnects.
Voila 0.5.13 then read the binary reply's header as if it were in the v1 format and built a list of
~10**18 offsets in the server's event loop: the server grew ~50 MB/s without bound, never answered
and ignored SIGTERM (see ``ptsim/teaching/voila_server.py``). Only loopback addresses are used.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from ptsim.teaching import dashboard
from ptsim.teaching.voila_server import read_header_from_binary_message

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
START_TIMEOUT_S = 180.0
REPLY_TIMEOUT_S = 120.0
"""Longest wait for the widget states (seconds): generous, the CI machine has 2 shared cores."""
GROWTH_LIMIT_MB = 150.0
"""Largest growth of the server's memory over the test (MB); the hang grew ~50 MB every second."""
STOP_TIMEOUT_S = 10.0
"""SIGTERM must stop the command and Voila within this time (seconds)."""

if not dashboard.voila_installed():
    if IN_CI:
        pytest.fail('voila is needed in CI (pip install -e ".[test]")')
    pytest.skip("voila is not installed", allow_module_level=True)
psutil = pytest.importorskip("psutil")


def _message(session: str, msg_type: str, content: dict, metadata: dict | None = None) -> str:
    header = {
        "msg_id": uuid.uuid4().hex,
        "username": "test",
        "session": session,
        "msg_type": msg_type,
        "version": "5.3",
        "date": "2026-01-01T00:00:00Z",
    }
    msg = {"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content}
    return json.dumps({**msg, "channel": "shell", "buffers": []})


async def _request_states(port: int, kernel_id: str) -> bytes:
    """Ask for every widget's state over the legacy websocket protocol; the binary reply."""
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    url = f"ws://{dashboard.HOST}:{port}/api/kernels/{kernel_id}/channels?session_id={session}"
    ws = await websocket_connect(url)
    try:
        comm = uuid.uuid4().hex
        open_content = {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}}
        ws.write_message(_message(session, "comm_open", open_content, {"version": "1.0.0"}))
        await asyncio.sleep(1.0)
        ws.write_message(
            _message(session, "comm_msg", {"comm_id": comm, "data": {"method": "request_states"}})
        )
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no widget states within {REPLY_TIMEOUT_S:g} s")
            reply = await asyncio.wait_for(ws.read_message(), timeout=left)
            if reply is None:
                raise ConnectionError("the server closed the websocket")
            if isinstance(reply, bytes):
                return reply
    finally:
        ws.close()  # and disconnect, as the hostile client did


@pytest.fixture
def server(tmp_path):
    """``ptsim dashboard`` on a free loopback port: yields (process, port, log path)."""
    port = dashboard.free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ptsim", "dashboard", "--port", str(port), "--no-browser"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        dashboard.wait_for_port(port, START_TIMEOUT_S, proc)
        yield proc, port, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _voila(proc) -> psutil.Process:
    children = psutil.Process(proc.pid).children()
    assert len(children) == 1, children
    return children[0]


def test_widget_states_to_a_legacy_client_leave_memory_bounded_and_sigterm_works(server):
    proc, port, log = server
    page = urllib.request.urlopen(dashboard.url(port), timeout=START_TIMEOUT_S).read().decode()
    kernel_id = re.search(r'kernelId": "([0-9a-f-]+)"', page).group(1)
    voila = _voila(proc)
    before_mb = voila.memory_info().rss / 1e6
    for _ in range(3):
        reply = asyncio.run(_request_states(port, kernel_id))
        header = read_header_from_binary_message(reply)
        assert header is not None and header["msg_type"] == "comm_msg"
        assert b"ptsim-figure" in reply  # the app's widgets, figure included
    peak_mb = before_mb
    for _ in range(10):
        time.sleep(0.5)
        peak_mb = max(peak_mb, voila.memory_info().rss / 1e6)
    assert peak_mb - before_mb < GROWTH_LIMIT_MB, (before_mb, peak_mb)

    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    stopped_s = time.monotonic() - start
    text = log.read_text()
    assert proc.returncode == 143, text
    assert stopped_s < STOP_TIMEOUT_S, f"stopped after {stopped_s:.1f} s"
    print(f"stopped after {stopped_s:.1f} s; memory {before_mb:.0f} -> peak {peak_mb:.0f} MB")
    assert not voila.is_running()
    assert "Traceback" not in text, text


def test_the_header_reader_reads_both_formats_in_bounded_time():
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection.base import (
        serialize_binary_message,
        serialize_msg_to_ws_v1,
    )

    session = Session()
    msg = session.msg("comm_msg", {"comm_id": "c", "data": {}})
    msg["buffers"] = [b"\x89PNG" + b"x" * 1000]
    legacy = serialize_binary_message({**msg, "channel": "iopub"})
    parts = session.serialize(msg)[2:6]  # header, parent header, metadata, content (after DELIM, HMAC)
    v1 = serialize_msg_to_ws_v1([*parts, *msg["buffers"]], "iopub")
    for data in (legacy, v1):
        header = read_header_from_binary_message(data)
        assert header["msg_type"] == "comm_msg" and header["msg_id"] == msg["header"]["msg_id"]
    start = time.monotonic()
    for junk in (b"\xff" * 8 + b"x" * 100, b"\x00\x00\x00\x02\x00\x00\x00\x10" + b"y" * 50, b"", b"abc"):
        assert read_header_from_binary_message(junk) is None
    assert time.monotonic() - start < 1.0

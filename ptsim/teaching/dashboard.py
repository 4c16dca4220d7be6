"""The plan-comparison dashboard: the compare-plans app served by Voila as a clean web page.

The dashboard is the notebook ``ptsim/teaching/dashboard.ipynb`` (shipped inside the package, so it is found
from a wheel as well as from a checkout). It shows :func:`ptsim.teaching.widgets.compare_plans_app` with a
short explanation; Voila runs it in a kernel and serves only its outputs, never its code.
``ptsim dashboard`` starts it (see :mod:`ptsim.cli`); this module holds the pieces the command and
the browser test share. It imports neither Voila nor ipywidgets: Voila runs in its own process.
"""

from __future__ import annotations

import errno
import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
"""The dashboard listens on the loopback interface only: it is reachable from this computer."""
DEFAULT_PORT = 8866
"""Voila's usual port."""
NOTEBOOK = Path(__file__).resolve().with_name("dashboard.ipynb")
"""The dashboard notebook, shipped as package data."""
STYLE = (
    "<style>"
    ".ptsim-app .widget-hslider{flex-wrap:wrap;height:auto}"
    ".ptsim-app .widget-hslider>.widget-label{width:100%!important;max-width:100%;text-align:left}"
    "</style>"
)
"""CSS the dashboard adds: each slider's label on a line of its own, so that a long label (with its
unit) does not squeeze the slider to nothing in the narrow column of controls."""


KERNEL_CULL_IDLE_S = 300
"""Seconds after which an idle kernel that no page is connected to is shut down."""
KERNEL_CULL_INTERVAL_S = 60
"""How often (seconds) idle kernels are looked for."""
KERNEL_SHUTDOWN_WAIT_S = 1.0
"""Longest wait (seconds) for a kernel to exit on shutdown before it is killed (Jupyter's default is
5 s per kernel, which under load made stopping the dashboard take over 10 s)."""


def notebook_path() -> Path:
    """The dashboard notebook.

    Raises
    ------
    FileNotFoundError
        If the package was installed without it (reinstall ptsim).
    """
    if not NOTEBOOK.is_file():
        raise FileNotFoundError(
            f"the dashboard notebook {NOTEBOOK} is missing from the installed package; "
            "reinstall ptsim (pip install -e . from a checkout, or pip install ptsim)"
        )
    return NOTEBOOK


def voila_installed() -> bool:
    """Whether Voila can be started from this Python (it comes with ``pip install "ptsim[lab]"``)."""
    return importlib.util.find_spec("voila") is not None


def voila_command(port: int, notebook: Path | None = None, python: str | None = None) -> list[str]:
    """The command that serves the dashboard with Voila on ``HOST:port``.

    Voila listens on the loopback interface only, on exactly this port (no retries on other ports,
    so the printed address is the real one), does not open a browser itself, and never sends
    Python tracebacks to the page (the app shows its own short messages). It runs through
    :mod:`ptsim.teaching.voila_server` (a fix for a server hang) and shuts down kernels that no
    page uses.

    Parameters
    ----------
    port : int
        TCP port, 1-65535.
    notebook : Path, optional
        The notebook to serve (default :func:`notebook_path`).
    python : str, optional
        The Python interpreter to run Voila with (default: this one).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a whole number in [1, 65535], got {port!r}")
    return [
        python or sys.executable,
        "-m",
        "ptsim.teaching.voila_server",  # Voila with a fix for a hang any local client can trigger
        str(notebook or notebook_path()),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--VoilaConfiguration.show_tracebacks=False",
        "--theme=light",
        # Every page load starts a kernel (~220 MB); one that no page is connected to is shut down
        # after this long idle, so repeated requests for the page cannot pile kernels up.
        f"--MappingKernelManager.cull_idle_timeout={KERNEL_CULL_IDLE_S}",
        f"--MappingKernelManager.cull_interval={KERNEL_CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
        # A kernel holds nothing to save: on SIGTERM wait at most this long for each to exit.
        f"--KernelManager.shutdown_wait_time={KERNEL_SHUTDOWN_WAIT_S}",
    ]


def url(port: int) -> str:
    """The dashboard's address for a port."""
    return f"http://{HOST}:{port}/"


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def check_port(port: int) -> None:
    """Check that the dashboard can listen on ``HOST:port`` now.

    Raises
    ------
    ValueError
        If the port is out of range, in use, or not allowed, saying which.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a whole number in [1, 65535], got {port!r}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"port {port} on {HOST} is in use (is a dashboard already running?); "
                    "choose another port, or 0 for any free port"
                ) from None
            raise ValueError(
                f"port {port} on {HOST} cannot be used ({exc.strerror}); ports below 1024 need "
                "administrator rights: choose another port, or 0 for any free port"
            ) from None


def wait_for_port(port: int, timeout_s: float = 120.0, process: subprocess.Popen | None = None) -> float:
    """Wait until something accepts TCP connections on ``HOST:port``.

    Only a TCP connection is made: an HTTP request for the page would start a kernel.

    Parameters
    ----------
    port : int
    timeout_s : float
        Give up after this many seconds.
    process : subprocess.Popen, optional
        The server's process: stop waiting if it exits.

    Returns
    -------
    float
        Seconds waited.

    Raises
    ------
    RuntimeError
        If ``process`` exits first.
    TimeoutError
        If nothing listens within ``timeout_s``.
    """
    start = time.monotonic()
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with status {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"nothing listened on {HOST}:{port} within {timeout_s:g} s")
        time.sleep(0.2)

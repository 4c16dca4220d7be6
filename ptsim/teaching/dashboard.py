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
import ipaddress
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
"""The default address: the loopback interface, reachable from this computer only."""
DEFAULT_PORT = 8866
"""Voila's usual port."""
DEFAULT_MAX_SESSIONS = 40
"""Most dashboard sessions (browser tabs, one Python kernel each) served at once: a class of about 30
with room to spare. Each kernel takes about 150-200 MB of memory (docs/performance.md)."""
MAX_SESSIONS_LIMIT = 500
"""The highest ``--max-sessions`` accepted."""
DEFAULT_CULL_IDLE_MINUTES = 20
"""A session whose browser tab is gone (closed without notice, laptop asleep) and whose kernel has been
idle this long is shut down, freeing its place."""
CULL_IDLE_MINUTES_LIMIT = 24 * 60
"""The highest ``--cull-idle-minutes`` accepted (0 turns culling off)."""
PREHEAT_LIMIT = 20
"""The most kernels ``--preheat`` keeps ready."""
CULL_INTERVAL_S = 60
"""How often (seconds) the server looks for idle sessions to shut down."""
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""Letters and digits of a generated token: lower case, without the look-alikes 0/o, 1/l/i, so that a
student can type it from a projector."""
TOKEN_LENGTH = 10
"""Characters of a generated token: 31**10, about 2**49 possibilities."""
MIN_TOKEN_LENGTH = 8
KERNEL_MANAGER = "ptsim.teaching.dashboard_server.ClassroomKernelManager"
"""The kernel manager Voila runs with: jupyter_server's, with a cap on the number of kernels."""
KERNEL_ENV = {"MPLBACKEND": "agg"}
"""Environment of the dashboard's kernels (through the Voila process they inherit it from). The app
draws PNG bytes itself; matplotlib's notebook backend, loaded by default in a kernel, is never used."""
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


KERNEL_SHUTDOWN_WAIT_S = 1.0
"""Longest wait (seconds) for a kernel to exit on shutdown before it is killed (Jupyter's default is
5 s per kernel, which under load made stopping the dashboard take over 10 s)."""


def voila_installed() -> bool:
    """Whether Voila can be started from this Python (it comes with ``pip install "ptsim[lab]"``)."""
    return importlib.util.find_spec("voila") is not None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP address) is this computer's loopback interface (127.x.x.x or ::1)."""
    return ipaddress.ip_address(host).is_loopback


def check_host(host: str) -> str:
    """Check an address to listen on: an IP address (IPv4 or IPv6) of this computer, or every interface.

    Returns
    -------
    str
        The address, written the standard way (``"0.0.0.0"``, ``"::"``, ``"192.168.1.20"``).

    Raises
    ------
    ValueError
        If it is not an IP address (host names are not accepted: the address printed for students
        must be the one listened on).
    """
    try:
        return str(ipaddress.ip_address(str(host).strip()))
    except ValueError:
        raise ValueError(
            f"host must be an IP address of this computer: 127.0.0.1 (this computer only, the default), "
            f"0.0.0.0 (every network interface) or one interface's address; got {host!r}"
        ) from None


def new_token() -> str:
    """A random access token for students: ``TOKEN_LENGTH`` characters of ``TOKEN_ALPHABET``."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def check_token(token: str) -> str:
    """Check an access token chosen by the instructor.

    Raises
    ------
    ValueError
        If it is shorter than ``MIN_TOKEN_LENGTH`` characters or has characters other than letters,
        digits, ``-`` and ``_`` (it goes into the address students open).
    """
    ok = all(c.isascii() and (c.isalnum() or c in "-_") for c in token)
    if len(token) < MIN_TOKEN_LENGTH or not ok:
        raise ValueError(
            f"token must be at least {MIN_TOKEN_LENGTH} letters, digits, '-' or '_' (it goes into the "
            f"address students open); got {len(token)} characters" + ("" if ok else " including others")
        )
    return token


def _check_whole(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
    return value


def voila_command(
    port: int,
    notebook: Path | None = None,
    python: str | None = None,
    *,
    host: str = HOST,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    cull_idle_minutes: int = DEFAULT_CULL_IDLE_MINUTES,
    config_dir: Path | None = None,
    preheat: int = 0,
) -> list[str]:
    """The command that serves the dashboard with Voila on ``host:port``.

    Voila listens on exactly this address and port (no retries on other ports, so the printed
    address is the real one), does not open a browser itself, never sends Python tracebacks to the
    page (the app shows its own short messages), starts at most ``max_sessions`` kernels at once
    (a student beyond that gets a page saying the class is full), and shuts down kernels that have
    had no browser connected and no activity for ``cull_idle_minutes``. It runs Voila through
    :mod:`ptsim.teaching.voila_server` (a fix for a server hang any local client could trigger).

    Parameters
    ----------
    port : int
        TCP port, 1-65535.
    notebook : Path, optional
        The notebook to serve (default :func:`notebook_path`).
    python : str, optional
        The Python interpreter to run Voila with (default: this one).
    host : str
        The IP address to listen on (default ``HOST``, this computer only).
    max_sessions : int
        Most kernels at once, 1 to ``MAX_SESSIONS_LIMIT``.
    cull_idle_minutes : int
        Minutes (0 to ``CULL_IDLE_MINUTES_LIMIT``; 0: never) after which an idle kernel with no
        browser connected is shut down.
    preheat : int
        Kernels (0 to ``PREHEAT_LIMIT``) that have already run the dashboard, kept ready for the next
        browser tabs (Voila's pre-heated kernels): a tab that gets one shows the figure at once
        instead of after the kernel's imports and first simulation. They count towards
        ``max_sessions``. 0: none, each tab starts its own kernel.
    config_dir : Path, optional
        A private directory holding ``voila.json`` (the token), the only place Voila then reads
        configuration files from (without it, Voila's defaults: the working directory and Jupyter's).
    """
    _check_whole(port, "port", 1, 65535)
    host = check_host(host)
    _check_whole(max_sessions, "max_sessions", 1, MAX_SESSIONS_LIMIT)
    _check_whole(cull_idle_minutes, "cull_idle_minutes", 0, CULL_IDLE_MINUTES_LIMIT)
    _check_whole(preheat, "preheat", 0, PREHEAT_LIMIT)
    return [
        python or sys.executable,
        "-m",
        "ptsim.teaching.voila_server",  # Voila with a fix for a hang any local client can trigger
        str(notebook or notebook_path()),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--VoilaConfiguration.show_tracebacks=False",
        "--theme=light",
        # JupyterLab extensions that fail to load in Voila's page and fill its console with errors
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in VOILA_DENIED_EXTENSIONS),
        *([f"--Voila.config_file_paths={config_dir}"] if config_dir is not None else []),
        f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_MANAGER}",
        f"--ClassroomKernelManager.max_kernels={max_sessions}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_minutes * 60}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
        # A kernel holds nothing to save: on SIGTERM wait at most this long for each to exit.
        f"--KernelManager.shutdown_wait_time={KERNEL_SHUTDOWN_WAIT_S}",
        *(
            ["--VoilaConfiguration.preheat_kernel=True", f"--VoilaConfiguration.default_pool_size={preheat}"]
            if preheat
            else []
        ),
    ]


VOILA_DENIED_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")
"""JupyterLab extensions the dashboard's page does not load: nbgrader's (installed with the test extra)
and the notebook's need JupyterLab modules that Voila's page does not share."""


def voila_environment(base: dict | None = None) -> dict:
    """The environment to start Voila with: ``base`` (default ``os.environ``) plus ``KERNEL_ENV``."""
    return {**(os.environ if base is None else base), **KERNEL_ENV}


def write_token_config(config_dir: Path, token: str) -> Path:
    """Write ``voila.json`` with the access token into ``config_dir``, readable by its owner only.

    The token goes into a file rather than onto Voila's command line, where any user of the
    computer could read it (``ps``).

    Returns
    -------
    Path
        The file written.
    """
    check_token(token)
    path = Path(config_dir) / "voila.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"Voila": {"token": token}}, f)
    return path


def lan_address() -> str | None:
    """This computer's address on its network (the one students' laptops reach it at), if any.

    Found by asking the operating system which interface would route to a public address; no packet
    is sent.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, nothing is sent for a UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if ipaddress.ip_address(address).is_loopback else address


def url(port: int, host: str = HOST, token: str | None = None) -> str:
    """The dashboard's address for a port (with the token, if any, as students open it).

    For "every interface" (``0.0.0.0`` or ``::``) it is the address on this computer's network
    (:func:`lan_address`), or this computer's loopback address if there is no network.
    """
    if ipaddress.ip_address(host).is_unspecified:
        host = lan_address() or (HOST if ipaddress.ip_address(host).version == 4 else "::1")
    shown = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _connect_address(host: str) -> str:
    """Where to connect to reach a server listening on ``host`` from this computer."""
    address = ipaddress.ip_address(host)
    if address.is_unspecified:
        return HOST if address.version == 4 else "::1"
    return host


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on now."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port(port: int, host: str = HOST) -> None:
    """Check that the dashboard can listen on ``host:port`` now.

    Raises
    ------
    ValueError
        If the port is out of range, in use, or not allowed, or the address is not this
        computer's, saying which.
    """
    _check_whole(port, "port", 1, 65535)
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"port {port} on {host} is in use (is a dashboard already running?); "
                    "choose another port, or 0 for any free port"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ValueError(
                    f"{host} is not an address of this computer; use 0.0.0.0 for every network "
                    "interface or 127.0.0.1 for this computer only"
                ) from None
            raise ValueError(
                f"port {port} on {host} cannot be used ({exc.strerror}); ports below 1024 need "
                "administrator rights: choose another port, or 0 for any free port"
            ) from None


def wait_for_port(
    port: int, timeout_s: float = 120.0, process: subprocess.Popen | None = None, host: str = HOST
) -> float:
    """Wait until something accepts TCP connections on ``host:port``.

    Only a TCP connection is made: an HTTP request for the page would start a kernel.

    Parameters
    ----------
    port : int
    timeout_s : float
        Give up after this many seconds.
    process : subprocess.Popen, optional
        The server's process: stop waiting if it exits.
    host : str
        The address the server listens on (for every interface, this computer's loopback is tried).

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
    target = _connect_address(host)
    start = time.monotonic()
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with status {process.returncode}")
        try:
            with socket.create_connection((target, port), timeout=1.0):
                return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"nothing listened on {host}:{port} within {timeout_s:g} s")
        time.sleep(0.2)

"""``ptsim dashboard``: serve the plan-comparison dashboard with Voila (the pieces it runs are in
:mod:`ptsim.teaching.dashboard`)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ptsim.cli.shared import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    UsageError,
    _one_line,
    _Terminated,
    _whole_number,
)

DASHBOARD_START_TIMEOUT_S = 120.0
"""Longest wait (seconds) for Voila to start listening."""
DASHBOARD_PREHEAT = 1
"""Sessions kept ready by default: the next tab opened shows the dashboard at once (docs/performance.md)."""


def _dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    from ptsim.teaching.dashboard import (
        CULL_IDLE_MINUTES_LIMIT,
        DEFAULT_CULL_IDLE_MINUTES,
        DEFAULT_MAX_SESSIONS,
        DEFAULT_PORT,
        HOST,
        MAX_SESSIONS_LIMIT,
        PREHEAT_LIMIT,
    )

    parser.add_argument(
        "--port",
        type=_whole_number(0, 65535, "a port number"),
        default=DEFAULT_PORT,
        metavar="P",
        help=f"the port to serve on (default {DEFAULT_PORT}; 0 picks any free port)",
    )
    parser.add_argument(
        "--host",
        default=HOST,
        metavar="ADDRESS",
        help=f"the IP address to listen on (default {HOST}: this computer only); 0.0.0.0 serves every "
        "network this computer is on, e.g. the students' laptops in a classroom (plain HTTP: see the README)",
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        metavar="TOKEN",
        help="the access token students need (at least 8 letters, digits, - or _); by default one is "
        f"generated when --host is not {HOST}, and none is needed on {HOST}",
    )
    token.add_argument(
        "--no-token",
        action="store_true",
        help="no token, even beyond this computer (anyone who can reach it gets in)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_whole_number(1, MAX_SESSIONS_LIMIT, "a number of sessions"),
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"most browser tabs served at once, one Python process each (default {DEFAULT_MAX_SESSIONS}); "
        "beyond it a tab gets a page saying the dashboard is full",
    )
    parser.add_argument(
        "--cull-idle-minutes",
        type=_whole_number(0, CULL_IDLE_MINUTES_LIMIT, "a number of minutes"),
        default=DEFAULT_CULL_IDLE_MINUTES,
        metavar="M",
        help="shut down a session whose tab is gone and that has been idle this long, freeing its place "
        f"(default {DEFAULT_CULL_IDLE_MINUTES}; 0: never)",
    )
    parser.add_argument(
        "--preheat",
        type=_whole_number(0, PREHEAT_LIMIT, "a number of sessions"),
        default=None,
        metavar="K",
        help="keep K sessions ready that have already computed the dashboard, so that the next K tabs show "
        "it at once (default 1, or 0 with --max-sessions 1; each uses memory while it waits and counts "
        "towards --max-sessions)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address only; do not open a web browser"
    )


def _can_open_browser() -> bool:
    # Without a display, Python's webbrowser would start a text browser in this terminal.
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _stop(proc, timeout_s: float = 20.0) -> None:
    """Stop the Voila process (it shuts its kernels down on SIGTERM)."""
    import subprocess

    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _dashboard_run(args) -> int:
    import subprocess

    from ptsim.teaching import dashboard

    try:
        host = dashboard.check_host(args.host)
    except ValueError as exc:
        raise UsageError("--host", _one_line(exc)) from None
    loopback = dashboard.is_loopback(host)
    token: str | None
    if args.token is not None:
        try:
            token = dashboard.check_token(args.token)
        except ValueError as exc:
            raise UsageError("--token", _one_line(exc)) from None
    else:
        token = None if (args.no_token or loopback) else dashboard.new_token()
    preheat = min(DASHBOARD_PREHEAT, args.max_sessions - 1) if args.preheat is None else args.preheat
    if preheat >= args.max_sessions:
        raise UsageError(
            "--preheat",
            f"{preheat} ready sessions leave no place for students with --max-sessions "
            f"{args.max_sessions}: keep --preheat below --max-sessions",
        )
    if not dashboard.voila_installed():
        raise UsageError(
            None, 'the dashboard needs Voila, which is not installed: pip install "ptsim[lab]" (or voila)'
        )
    try:
        notebook = dashboard.notebook_path()
    except FileNotFoundError as exc:
        raise UsageError(None, _one_line(exc)) from None
    port = args.port or dashboard.free_port(host)
    try:
        dashboard.check_port(port, host)
    except ValueError as exc:
        raise UsageError(
            "--host" if "not an address of this computer" in str(exc) else "--port", _one_line(exc)
        ) from None
    url = dashboard.url(port, host, token)
    if not loopback:
        print(
            f"ptsim dashboard: warning: serving beyond this computer on {host}:{port} over plain HTTP: "
            + (
                "anyone on these networks who has the address with its token can use the dashboard, "
                "and anyone on the network path can read the traffic, token included"
                if token
                else "anyone who can reach this computer can use the dashboard (--no-token)"
            ),
            file=sys.stderr,
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="ptsim-dashboard-") as config_dir:  # private: mode 0700
        if token:
            dashboard.write_token_config(Path(config_dir), token)
        command = dashboard.voila_command(
            port,
            notebook,
            host=host,
            max_sessions=args.max_sessions,
            cull_idle_minutes=args.cull_idle_minutes,
            config_dir=Path(config_dir),
            preheat=preheat,
        )
        proc = subprocess.Popen(command, env=dashboard.voila_environment())
        try:
            try:
                dashboard.wait_for_port(port, DASHBOARD_START_TIMEOUT_S, proc, host)
            except (RuntimeError, TimeoutError) as exc:
                print(
                    f"ptsim dashboard: error: Voila did not start: {exc} (see its messages above)",
                    file=sys.stderr,
                )
                return EXIT_INTERNAL
            print(f"ptsim dashboard: {url} (Ctrl-C stops it)", flush=True)
            if not loopback:
                print(
                    f"ptsim dashboard: students open {url}"
                    + (f" (or the address without it, then type the token {token})" if token else "")
                    + f"; at most {args.max_sessions} sessions at once",
                    flush=True,
                )
            if not args.no_browser:
                if _can_open_browser():
                    import webbrowser

                    webbrowser.open(url)
                else:
                    print("ptsim dashboard: no display here; open the address in a browser", flush=True)
            status = proc.wait()
            if status != 0:
                print(f"ptsim dashboard: error: Voila stopped with status {status}", file=sys.stderr)
                return EXIT_INTERNAL
            return EXIT_OK
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: stopping is the normal way to end
            _stop(proc)
            print(f"ptsim dashboard: stopped; {url.split('?')[0]} is closed", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED
        finally:
            _stop(proc)

"""``ptsim dashboard`` serving a class: listening beyond loopback, the token, the cap on sessions, culling.

The options are checked without a server; one test starts the real server on loopback with a token
and checks that it refuses requests without it (no kernel is started: only cheap, authenticated
endpoints are asked).
"""

import asyncio
import http.client
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from ptsim.cli import commands as cli
from ptsim.teaching import dashboard


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "192.168.1", "every", "256.1.1.1", ""])
def test_a_host_that_is_not_an_ip_address_is_a_usage_error(capsys, host):
    assert cli.main(["dashboard", "--host", host, "--no-browser"]) == cli.EXIT_USAGE
    err = _one_line_error(capsys)
    assert err.startswith("ptsim dashboard: error: --host: host must be an IP address of this computer")
    assert "0.0.0.0 (every network interface)" in err and repr(host) in err


def test_an_address_of_another_computer_is_a_usage_error(capsys):
    # 203.0.113.0/24 is reserved for documentation: never an address of this computer.
    assert cli.main(["dashboard", "--host", "203.0.113.7", "--no-browser"]) == cli.EXIT_USAGE
    err = _one_line_error(capsys)
    assert "--host: 203.0.113.7 is not an address of this computer" in err


@pytest.mark.parametrize(
    ("option", "value", "accepted"),
    [
        ("--max-sessions", "0", "a number of sessions in [1, 500]"),
        ("--max-sessions", "501", "a number of sessions in [1, 500]"),
        ("--max-sessions", "forty", "a number of sessions in [1, 500]"),
        ("--cull-idle-minutes", "-1", "a number of minutes in [0, 1440]"),
        ("--cull-idle-minutes", "1441", "a number of minutes in [0, 1440]"),
        ("--port", "65536", "a port number in [0, 65535]"),
        ("--preheat", "21", "a number of sessions in [0, 20]"),
    ],
)
def test_a_bad_number_is_a_usage_error_naming_the_option(capsys, option, value, accepted):
    assert cli.main(["dashboard", option, value, "--no-browser"]) == cli.EXIT_USAGE
    err = _one_line_error(capsys)
    assert f"argument {option}: expected {accepted}, got {value!r}" in err


@pytest.mark.parametrize("token", ["short", "has space in it", "ünïcödé-token", "a/b?c=d&e"])
def test_a_bad_token_is_a_usage_error(capsys, token):
    assert cli.main(["dashboard", "--token", token, "--no-browser"]) == cli.EXIT_USAGE
    err = _one_line_error(capsys)
    assert "ptsim dashboard: error: --token: token must be at least 8 letters, digits" in err
    assert token not in err  # a secret is not echoed


def test_ready_sessions_must_leave_room_for_students(capsys):
    assert cli.main(["dashboard", "--preheat", "5", "--max-sessions", "5"]) == cli.EXIT_USAGE
    err = _one_line_error(capsys)
    assert "--preheat: 5 ready sessions leave no place for students with --max-sessions 5" in err


def test_token_and_no_token_exclude_each_other(capsys):
    assert cli.main(["dashboard", "--token", "abcdefgh", "--no-token"]) == cli.EXIT_USAGE
    assert "--no-token: not allowed with argument --token" in _one_line_error(capsys)


def test_generated_tokens_are_typeable_and_differ():
    tokens = {dashboard.new_token() for _ in range(200)}
    assert len(tokens) == 200
    for t in tokens:
        assert len(t) == dashboard.TOKEN_LENGTH and set(t) <= set(dashboard.TOKEN_ALPHABET)
        assert dashboard.check_token(t) == t
    assert not set("0o1li") & set(dashboard.TOKEN_ALPHABET)


def test_host_check_and_loopback():
    assert dashboard.check_host(" 0.0.0.0 ") == "0.0.0.0"
    assert dashboard.check_host("::") == "::"
    assert dashboard.is_loopback("127.0.0.1") and dashboard.is_loopback("::1")
    assert not dashboard.is_loopback("0.0.0.0") and not dashboard.is_loopback("192.168.1.20")


def test_urls_for_students():
    assert dashboard.url(8866) == "http://127.0.0.1:8866/"
    assert dashboard.url(8866, "192.168.1.20", "abcdefgh23") == "http://192.168.1.20:8866/?token=abcdefgh23"
    lan = dashboard.lan_address()
    assert dashboard.url(9000, "0.0.0.0") == f"http://{lan or '127.0.0.1'}:9000/"
    assert dashboard.url(9000, "::1") == "http://[::1]:9000/"


# --- the generated configuration ------------------------------------------------------------------


def test_voila_command_carries_the_host_the_cap_and_culling(tmp_path):
    cmd = dashboard.voila_command(
        9001, host="0.0.0.0", max_sessions=35, cull_idle_minutes=15, config_dir=tmp_path
    )
    assert "--port=9001" in cmd and "--Voila.ip=0.0.0.0" in cmd and "--Voila.port_retries=0" in cmd
    assert f"--VoilaConfiguration.multi_kernel_manager_class={dashboard.KERNEL_MANAGER}" in cmd
    assert "--ClassroomKernelManager.max_kernels=35" in cmd
    assert "--MappingKernelManager.cull_idle_timeout=900" in cmd
    assert f"--MappingKernelManager.cull_interval={dashboard.CULL_INTERVAL_S}" in cmd
    assert "--MappingKernelManager.cull_connected=False" in cmd
    assert f"--Voila.config_file_paths={tmp_path}" in cmd
    assert not any("token" in part for part in cmd), "the token must not be on the command line"
    default = dashboard.voila_command(9001)
    assert "--Voila.ip=127.0.0.1" in default
    assert f"--ClassroomKernelManager.max_kernels={dashboard.DEFAULT_MAX_SESSIONS}" in default
    assert f"--MappingKernelManager.cull_idle_timeout={dashboard.DEFAULT_CULL_IDLE_MINUTES * 60}" in default
    assert "--MappingKernelManager.cull_idle_timeout=0" in dashboard.voila_command(9001, cull_idle_minutes=0)
    assert not any("preheat" in part or "pool_size" in part for part in default)
    ready = dashboard.voila_command(9001, preheat=3)
    assert "--VoilaConfiguration.preheat_kernel=True" in ready
    assert "--VoilaConfiguration.default_pool_size=3" in ready


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_sessions": 0}, "max_sessions must be a whole number in [1, 500]"),
        ({"max_sessions": 40.0}, "max_sessions must be a whole number in [1, 500]"),
        ({"cull_idle_minutes": -5}, "cull_idle_minutes must be a whole number in [0, 1440]"),
        ({"host": "example.org"}, "host must be an IP address of this computer"),
        ({"preheat": 21}, "preheat must be a whole number in [0, 20]"),
    ],
)
def test_voila_command_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        dashboard.voila_command(9001, **kwargs)


def test_the_token_is_written_to_a_private_file(tmp_path):
    path = dashboard.write_token_config(tmp_path, "abcdefgh23")
    assert json.loads(path.read_text()) == {"Voila": {"token": "abcdefgh23"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="token must be at least 8"):
        dashboard.write_token_config(tmp_path, "short")


def test_kernels_draw_with_agg():
    env = dashboard.voila_environment({"PATH": "/bin", "MPLBACKEND": "module://x"})
    assert env == {"PATH": "/bin", "MPLBACKEND": "agg"}


class _FakeVoila:
    """Stands in for the Voila process: records its command and the token file while "running"."""

    seen: ClassVar[dict] = {}

    def __init__(self, command, env=None):
        paths = [p.split("=", 1)[1] for p in command if p.startswith("--Voila.config_file_paths=")]
        config = Path(paths[0]) / "voila.json"
        _FakeVoila.seen = {
            "command": command,
            "env": env,
            "config": json.loads(config.read_text()) if config.exists() else None,
            "config_dir": Path(paths[0]),
            "config_dir_mode": stat.S_IMODE(Path(paths[0]).stat().st_mode),
        }
        self.returncode = None

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        self.returncode = 0
        return 0

    def terminate(self):
        self.returncode = -15


@pytest.fixture
def fake_voila(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", _FakeVoila)
    monkeypatch.setattr(dashboard, "wait_for_port", lambda *a, **k: 0.0)
    monkeypatch.setattr(dashboard, "voila_installed", lambda: True)
    return _FakeVoila


def test_serving_a_class_generates_a_token_and_warns(capsys, fake_voila, monkeypatch):
    monkeypatch.setattr(dashboard, "new_token", lambda: "k7mpq2xwrt")
    monkeypatch.setattr(dashboard, "lan_address", lambda: "192.168.7.40")
    assert cli.main(["dashboard", "--host", "0.0.0.0", "--port", "0", "--max-sessions", "30"]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    seen = fake_voila.seen
    assert seen["config"] == {"Voila": {"token": "k7mpq2xwrt"}}
    assert seen["config_dir_mode"] & 0o077 == 0, "the token directory is private"
    assert not seen["config_dir"].exists(), "the token file is removed when the server stops"
    assert (
        "--Voila.ip=0.0.0.0" in seen["command"]
        and "--ClassroomKernelManager.max_kernels=30" in seen["command"]
    )
    assert seen["env"]["MPLBACKEND"] == "agg"
    assert "warning: serving beyond this computer on 0.0.0.0" in err and "plain HTTP" in err
    assert "token" in err.split("warning:", 1)[1]
    assert "ptsim dashboard: students open http://192.168.7.40:" in out and "?token=k7mpq2xwrt" in out
    assert "then type the token k7mpq2xwrt" in out and "at most 30 sessions at once" in out


def test_no_token_beyond_loopback_says_anyone_can_use_it(capsys, fake_voila):
    assert cli.main(["dashboard", "--host", "0.0.0.0", "--port", "0", "--no-token", "--no-browser"]) == 0
    out, err = capsys.readouterr()
    assert fake_voila.seen["config"] is None and "?token=" not in out
    assert "anyone who can reach this computer can use the dashboard (--no-token)" in err


def test_loopback_needs_no_token_by_default(capsys, fake_voila):
    assert cli.main(["dashboard", "--port", "0", "--no-browser"]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    assert fake_voila.seen["config"] is None and "warning" not in err
    assert "?token=" not in out and "--Voila.ip=127.0.0.1" in fake_voila.seen["command"]
    # one session is kept ready by default, none when only one session is allowed
    assert "--VoilaConfiguration.default_pool_size=1" in fake_voila.seen["command"]
    assert cli.main(["dashboard", "--port", "0", "--no-browser", "--max-sessions", "1"]) == cli.EXIT_OK
    assert not any("pool_size" in part for part in fake_voila.seen["command"])


# --- the cap, in the kernel manager Voila runs ----------------------------------------------------


def test_the_kernel_manager_refuses_a_kernel_beyond_the_cap():
    from tornado import web

    from ptsim.teaching.dashboard_server import FULL_STATUS, ClassroomKernelManager, full_message

    assert (
        f"{ClassroomKernelManager.__module__}.{ClassroomKernelManager.__name__}" == dashboard.KERNEL_MANAGER
    )
    km = ClassroomKernelManager(max_kernels=2)
    km._kernels["running"] = object()
    km._pending_kernels["starting"] = object()  # a kernel still starting holds its place too
    with pytest.raises(web.HTTPError) as info:
        asyncio.run(km.start_kernel(kernel_name="python3"))
    assert info.value.status_code == FULL_STATUS == 503
    assert info.value.reason == full_message(2)
    assert "The dashboard is full (2 sessions open)" in full_message(2) and "\n" not in full_message(2)
    assert "(1 session open)" in full_message(1)


# --- a real server on loopback with a token ---------------------------------------------------------


def _request(port, path, headers=None, method="GET", body=None):
    conn = http.client.HTTPConnection(dashboard.HOST, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Location"), r.read()
    finally:
        conn.close()


def test_a_server_with_a_token_refuses_requests_without_it(tmp_path):
    if not dashboard.voila_installed():
        pytest.skip("voila is not installed")
    port, token = dashboard.free_port(), "abcdefgh23"
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ptsim",
                "dashboard",
                "--port",
                str(port),
                "--no-browser",
                "--token",
                token,
                "--preheat",  # no kernel is started unless someone gets in
                "0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        dashboard.wait_for_port(port, 120, proc)
        start = time.monotonic()  # the command prints its address once it has seen Voila listen too
        while f"ptsim dashboard: http://127.0.0.1:{port}/?token={token}" not in log.read_text():
            assert time.monotonic() - start < 60 and proc.poll() is None, log.read_text()
            time.sleep(0.1)
        kernel = "/api/kernels/00000000-0000-0000-0000-000000000000"  # authenticated; starts nothing
        assert _request(port, kernel)[0] == 403
        assert _request(port, kernel, {"Authorization": "token wrongtoken"})[0] == 403
        assert _request(port, kernel + "?token=wrongtoken")[0] == 403
        assert _request(port, kernel, {"Authorization": f"token {token}"})[0] == 404  # let in: no such kernel
        assert _request(port, kernel + f"?token={token}")[0] == 404
        status, location, _ = _request(port, "/")  # the dashboard itself: sent to the login page
        assert status == 302 and location.startswith("/login")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    text = log.read_text()
    assert "Kernel started" not in text, "a request without the token started a kernel"
    assert proc.returncode == 143 and "Traceback" not in text, text
    with socket.socket() as s:  # the port is free again
        s.bind((dashboard.HOST, port))


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="process priorities are POSIX")
def test_kernels_run_at_a_lower_priority_than_the_server():
    from types import SimpleNamespace

    from ptsim.teaching.dashboard_server import ClassroomKernelManager

    km = ClassroomKernelManager()
    assert km.kernel_niceness == 10
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        before = os.getpriority(os.PRIO_PROCESS, child.pid)
        km._kernels["k"] = SimpleNamespace(provisioner=SimpleNamespace(process=child))
        km._lower_priority("k")
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(before + 10, 19)
        assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the server's own priority is unchanged
    finally:
        child.kill()
        child.wait()

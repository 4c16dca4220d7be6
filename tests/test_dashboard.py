"""``ptsim dashboard`` without a browser: the notebook it serves, the Voila command, its errors.

The dashboard itself is tested in Chromium by tests/test_dashboard_browser.py.
"""

import json
import socket

import pytest

from ptsim.cli import commands as cli
from ptsim.teaching import dashboard


def test_the_dashboard_notebook_shows_the_compare_plans_app_and_stores_no_outputs():
    nb = json.loads(dashboard.notebook_path().read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == 2  # the compare-plans app, then "Forecast a patient"
    source = "".join(code[0]["source"])
    assert "compare_plans_app()" in source and source.rstrip().endswith("app")
    assert "forecast_app(" in "".join(code[1]["source"])
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None


def test_voila_command_listens_on_loopback_only_on_exactly_that_port():
    cmd = dashboard.voila_command(8899)
    assert cmd[1:3] == ["-m", "ptsim.teaching.voila_server"] and cmd[3] == str(dashboard.notebook_path())
    assert "--port=8899" in cmd and "--Voila.ip=127.0.0.1" in cmd
    assert "--Voila.port_retries=0" in cmd and "--no-browser" in cmd
    assert "--VoilaConfiguration.show_tracebacks=False" in cmd
    for bad in (0, 70000, "8866", True):
        with pytest.raises(ValueError, match="port must be a whole number in"):
            dashboard.voila_command(bad)


def test_wait_for_port_gives_up_when_nothing_listens():
    port = dashboard.free_port()
    with pytest.raises(TimeoutError, match=f"nothing listened on 127.0.0.1:{port}"):
        dashboard.wait_for_port(port, timeout_s=0.3)


def test_a_busy_port_is_a_usage_error(capsys):
    with socket.socket() as s:
        s.bind((dashboard.HOST, 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["dashboard", "--port", str(port), "--no-browser"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"ptsim dashboard: error: --port: port {port} on 127.0.0.1 is in use" in err
    assert "or 0 for any free port" in err


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_usage_error(capsys, port):
    assert cli.main(["dashboard", "--port", port]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "argument --port: expected a port number in [0, 65535]" in err and err.count("\n") == 1


def test_without_voila_the_command_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setattr(dashboard, "voila_installed", lambda: False)
    assert cli.main(["dashboard", "--no-browser"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (
        'ptsim dashboard: error: the dashboard needs Voila, which is not installed: pip install "ptsim[lab]" '
        "(or voila)\n"
    )


def test_a_missing_notebook_is_named(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(dashboard, "NOTEBOOK", tmp_path / "dashboard.ipynb")
    assert cli.main(["dashboard", "--no-browser"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert f"the dashboard notebook {tmp_path / 'dashboard.ipynb'} is missing" in err
    assert "reinstall ptsim" in err and err.count("\n") == 1


def test_dashboard_is_listed_in_the_help(capsys):
    assert cli.main(["--help"]) == 0
    assert "dashboard" in capsys.readouterr().out

"""Extension recipes that are data (issue 25 item 1), each performed in a temporary copy of ptsim.

- **A technique** is one table in ``ptsim/core/techniques.toml``: the copy adds dry needling (ungraded,
  a PT manual technique, its own defaults and sources) and shows that the parameters, both engines,
  plans, condition files, both scenarios, lesson 2's app and the CLI pick it up with no code edit.
- **A condition** is one TOML file in ``data/conditions/``: the copy adds a toy condition and shows that
  ``list_conditions()``, the API, the CLI and every app's condition selector pick it up.

``docs/architecture.md`` gives both recipes. Each copy runs in a fresh interpreter, so the real package
and its numba cache are untouched.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

DRY_NEEDLING = """
[dry_needling]
label = "dry needling"
description = "dry needling: a filiform needle into a myofascial trigger point (toy entry of the recipe test)"
graded = false
manual_therapy = true
targets = { capsule = 0.0, muscle_tendon = 0.8, fascia = 0.2, source = "assumption (recipe test)" }
window_max_frac = { value = 0.2, source = "assumption (recipe test)" }
relief_max_frac = { value = 0.3, source = "assumption (recipe test)" }
pain_drop_frac = { value = 0.35, source = "assumption (recipe test): its own value, no other technique's" }
remodel_per_min = { value = 0.002, source = "assumption (recipe test)" }
lasting_drop_frac = { value = 0.05, source = "assumption (recipe test)" }
"""

RUN_TECHNIQUE = """
import contextlib, io, json, sys
import numpy as np
import ptsim
from ptsim.cli import main
from ptsim.core.parameters import PARAMETERS
from ptsim.core.techniques import TECHNIQUES
from ptsim.inputs.plans import Component, Plan, Session
from ptsim.teaching import apps

out = {"file": ptsim.__file__, "techniques": list(TECHNIQUES)}
p = PARAMETERS["dry_needling_pain_drop_frac"]
out["parameter"] = [p.default, p.source]
try:
    Component("dry_needling", 10, 3)
except ValueError as e:
    out["grade_error"] = str(e)

plan = Plan("dry_needling_only", Session((Component("dry_needling", 15),), 30), sessions_per_week=2, weeks=6)
plans = {"usual_care": ptsim.standard_plans()["usual_care"], "dry_needling_only": plan}
for engine in ("numba", "numpy"):
    comp = ptsim.compare("knee_oa", plans, n_patients=30, days=60, seed=4, engine=engine)
    out[engine] = [comp[k].pain.mean(axis=0).tolist() for k in plans]
    out[engine + "_engine"] = comp["dry_needling_only"].engine

# the evidence scenario reads its own defaults; the premise holds it transient by the ceiling
out["evidence_value"] = ptsim.load_condition("knee_oa").parameters["dry_needling_pain_drop_frac"]
cond = ptsim.load_condition("knee_oa", scenario="premise").with_parameters(dry_needling_lasting_drop_frac=0.8)
comp = ptsim.compare(cond, plans, n_patients=30, days=365, seed=4)
out["premise_lasting_max"] = float(comp["dry_needling_only"].final_state.lasting.max())
year = {k: comp[k].pain[:, 365].mean() for k in plans}
out["premise_gap_year"] = float(year["usual_care"] - year["dry_needling_only"])

# a condition's generic manual therapy may name it (manual_therapy = true), with no grade
cond = ptsim.load_condition(sys.argv[2])
out["mix"] = {k: list(v) for k, v in cond.manual_therapy.items()}
res = ptsim.simulate(cond, "manual_only", n_patients=10, days=30, seed=1)
out["mix_pain"] = float(res.pain[:, 30].mean())

# lesson 2's app offers it and draws it
app = apps.technique_app()
out["app_options"] = [v for _, v in app.controls["technique"].options]
app.update(technique="dry_needling")
out["app_grade_disabled"] = app.controls["grade"].disabled
out["app_message"] = app.message.value

# the CLI shows the condition's mix
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    main(["show", sys.argv[2]])
out["cli_show"] = buf.getvalue()
json.dump(out, open(sys.argv[1], "w"))
"""

RUN_CONDITION = """
import contextlib, io, json, sys
import ptsim
from ptsim.cli import main
from ptsim.teaching import apps
from ptsim.teaching.widgets import forecast_app

out = {"file": ptsim.__file__, "conditions": ptsim.list_conditions()}
res = ptsim.simulate("toy_knee", "combined", n_patients=10, days=30, seed=1, engine="numpy")
out["pain"] = float(res.pain[:, 30].mean())
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    main(["list"])
out["cli_list"] = buf.getvalue()
# every lesson app with a condition selector, and the dashboard's two apps (compare plans, forecast)
out["options"] = {
    name: [v for _, v in getattr(apps, name)().controls["condition"].options]
    for name in ("patient_app", "technique_app", "window_app", "capacity_app", "compare_plans_app",
                 "pain_app", "setbacks_app", "evidence_app", "trial_app")
}
out["options"]["forecast_app"] = [v for _, v in forecast_app().condition.options]
json.dump(out, open(sys.argv[1], "w"))
"""


def _copy(tmp_path: Path, data: bool) -> Path:
    """A copy of the package (and of ``data/`` when the recipe edits it; otherwise a link)."""
    shutil.copytree(ROOT / "ptsim", tmp_path / "ptsim", ignore=shutil.ignore_patterns("__pycache__"))
    if data:
        shutil.copytree(ROOT / "data", tmp_path / "data")
    else:
        (tmp_path / "data").symlink_to(ROOT / "data")
    return tmp_path


def _run(root: Path, script: str, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["PYTHONPATH"] = str(root)
    env["MPLBACKEND"] = "Agg"
    out = root / "out.json"
    subprocess.run([sys.executable, "-c", script, str(out), *args], cwd=root, env=env, check=True)
    result = json.loads(out.read_text())
    assert result["file"] == str(root / "ptsim" / "__init__.py")  # the copy ran, not the real package
    return result


def test_a_technique_is_one_table_in_the_techniques_file(tmp_path):
    root = _copy(tmp_path, data=True)
    table = root / "ptsim" / "core" / "techniques.toml"
    table.write_text(table.read_text() + DRY_NEEDLING)
    # a condition whose manual therapy uses it: the knee OA file with dry needling in its mix
    knee = (ROOT / "data" / "conditions" / "knee_oa.toml").read_text()
    toy, swapped = re.subn(
        r"^soft_tissue_mobilization = \{ share = 0.4, grade = 3, .*$",
        'dry_needling = { share = 0.4, source = "assumption (recipe test)" }',
        knee.replace('name = "knee_oa"', 'name = "needled_knee"'),
        flags=re.MULTILINE,
    )
    assert swapped == 1
    (root / "data" / "conditions" / "needled_knee.toml").write_text(toy)

    out = _run(root, RUN_TECHNIQUE, "needled_knee")

    assert out["techniques"][-1] == "dry_needling"
    assert out["parameter"] == [0.35, "assumption (recipe test): its own value, no other technique's"]
    assert "no Maitland grade" in out["grade_error"]
    assert out["numba_engine"] == "numba" and out["numpy_engine"] == "numpy"
    np.testing.assert_allclose(out["numba"], out["numpy"], rtol=1e-10)  # one day, both engines
    usual, needled = (np.asarray(x) for x in out["numba"])
    assert needled[1:43].mean() < usual[1:43].mean() - 0.1  # it relieves pain during care
    assert out["evidence_value"] == 0.35
    assert out["premise_lasting_max"] == 0.0 and abs(out["premise_gap_year"]) < 0.1
    assert out["mix"]["dry_needling"] == [0.4, None]
    assert 0 < out["mix_pain"] < 10
    assert "dry_needling" in out["app_options"] and out["app_grade_disabled"]
    assert out["app_message"] == ""  # drawn, no error shown
    assert "dry_needling" in out["cli_show"] and "none" in out["cli_show"]


def test_a_condition_is_one_file_in_the_conditions_folder(tmp_path):
    root = _copy(tmp_path, data=True)
    knee = (ROOT / "data" / "conditions" / "knee_oa.toml").read_text()
    toy = knee.replace('name = "knee_oa"', 'name = "toy_knee"').replace(
        'title = "Knee osteoarthritis"', 'title = "Toy knee (recipe test)"'
    )
    (root / "data" / "conditions" / "toy_knee.toml").write_text(toy)

    out = _run(root, RUN_CONDITION)

    assert "toy_knee" in out["conditions"]
    assert 0 < out["pain"] < 10
    assert "toy_knee" in out["cli_list"]
    for app, options in out["options"].items():
        assert "toy_knee" in options, app

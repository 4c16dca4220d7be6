"""The compiled kernel's disk cache cannot go stale (issue 19, item 3).

numba's own cache is keyed on the file that defines a function, not on the files of the functions it
calls: edit one equation and the default engine would load the old compiled kernel. ptsim keys the
cache on the contents of every source file the kernel executes (``compiled.source_key``). This test
edits an equation in a temporary copy of the package and shows that the default engine follows.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ptsim.engine import compiled

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(not compiled.AVAILABLE, reason="numba is not installed"),
    pytest.mark.slow,
]

# Runs in a fresh interpreter on the copied package: the default engine's numbers, the numpy engine's
# (which calls the equations directly, so it always runs the current source), and how often the
# kernel was loaded from the disk cache or compiled.
RUN = """
import json, sys
import numpy as np
import ptsim
from ptsim.engine import compiled
kw = dict(n_patients=12, days=40, seed=3)
auto = ptsim.simulate("knee_oa", "combined", **kw)
numpy = ptsim.simulate("knee_oa", "combined", engine="numpy", **kw)
stats = compiled.kernels()._days.stats  # the compiled day loop every run enters
json.dump({
    "file": ptsim.__file__, "engine": auto.engine,
    "auto": auto.rom.tolist(), "numpy": numpy.rom.tolist(),
    "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values()),
}, open(sys.argv[1], "w"))
"""


def _run(pkg_root: Path, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT")}
    env["PYTHONPATH"] = str(pkg_root)
    subprocess.run([sys.executable, "-c", RUN, str(out)], cwd=pkg_root, env=env, check=True)
    return json.loads(out.read_text())


def test_default_engine_follows_an_edited_equation(tmp_path):
    shutil.copytree(ROOT / "ptsim", tmp_path / "ptsim", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "data").symlink_to(ROOT / "data")

    first = _run(tmp_path, tmp_path / "first.json")
    assert first["file"] == str(tmp_path / "ptsim" / "__init__.py")
    assert first["engine"] == "numba"
    assert first["misses"] >= 1  # compiled, and written to the copy's __pycache__
    np.testing.assert_allclose(first["auto"], first["numpy"], rtol=1e-12)

    again = _run(tmp_path, tmp_path / "again.json")
    assert again["hits"] >= 1 and again["misses"] == 0, "the unchanged kernel must load from the cache"
    assert again["auto"] == first["auto"]

    # Edit one equation the kernel executes (durable range of motion) in the copy only: the file that
    # defines the kernel (engine/compiled.py) is untouched.
    equations = tmp_path / "ptsim" / "core" / "equations.py"
    text = equations.read_text()
    old = "np.maximum(rom_normal_deg - deficit_total_deg, 0.0)"
    assert text.count(old) == 1
    equations.write_text(text.replace(old, "np.maximum(rom_normal_deg - 0.5 * deficit_total_deg, 0.0)"))

    edited = _run(tmp_path, tmp_path / "edited.json")
    assert edited["misses"] >= 1, "the kernel must be compiled again after an equation changed"
    np.testing.assert_allclose(edited["auto"], edited["numpy"], rtol=1e-12)
    assert np.all(np.asarray(edited["auto"]) > np.asarray(first["auto"]))  # half the deficit: more range

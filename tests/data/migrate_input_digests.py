# One-off migration, kept with its product: python tests/data/migrate_input_digests.py (project root).
"""Migrate stored ensembles' instruments/arms digests from whole-file to condition-scoped hashes.

Each old digest must equal the whole-file SHA-256 of instruments.csv / arms.toml either as on main
before hip OA (git show 9f324f8:...) or as now; the new digest is computed from the current files."""

import hashlib
import subprocess
import tomllib
from pathlib import Path

from ptsim.analysis import bayes

root = Path(".")


def sha(b):
    return hashlib.sha256(b).hexdigest()


known = {}
for key, rel in (("instruments", "data/evidence/instruments.csv"), ("arms", "data/evidence/arms.toml")):
    versions = [
        subprocess.run(["git", "show", f"{rev}:{rel}"], capture_output=True, check=True).stdout
        for rev in ("9f324f8", "cf1bdeb")
    ]  # main before hip OA; the hip2 snapshot the fits ran in
    known[key] = {sha(v) for v in versions} | {sha((root / rel).read_bytes())}
for path in sorted((root / "data/ensembles").glob("*.toml")):
    meta = tomllib.load(open(path, "rb"))
    cond = meta["condition"]
    new = bayes.input_digests(cond, meta.get("targets_source", "published"))
    text = path.read_text()
    for key in ("instruments", "arms"):
        recorded = meta["sha256"][key]
        if recorded == new[key]:
            continue
        assert recorded in known[key], (cond, key, "recorded digest matches neither file version")
        text = text.replace(f'"{key}" = "{recorded}"', f'"{key}" = "{new[key]}"')
    path.write_text(text)
    print(cond, "migrated")

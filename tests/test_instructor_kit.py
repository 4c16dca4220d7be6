"""The instructor kit holds together: one class plan, files that exist, an install that works."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructor" / "guide.md"
READMES = [ROOT / "notebooks" / "README.md", ROOT / "README.md"]
FENCE = re.compile(r"```.*?```", re.S)
PATHLIKE = re.compile(r"^[\w.\-]+(/[\w.\-]*)+$|^[\w\-]+\.(md|py|ipynb|toml|csv|yml)$")


def _named_paths(text: str, base: Path) -> list[tuple[str, Path]]:
    """Files and folders a Markdown text names: relative links, and inline code that looks like a path."""
    prose = FENCE.sub("", text)
    named = []
    for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", prose):
        if "://" not in link:
            named.append((link, base / link))
    for code in re.findall(r"`([^`\s]+)`", prose):
        if PATHLIKE.match(code) and "<" not in code and not code.startswith(("--", "ptsim.")):
            named.append((code, ROOT / code))
    return named


def test_every_file_the_guide_names_exists():
    named = _named_paths(GUIDE.read_text(), GUIDE.parent)
    assert len(named) >= 5
    missing = [shown for shown, path in named if not path.exists()]
    assert not missing, f"the instructor guide names files that do not exist: {missing}"


def test_one_ninety_minute_plan():
    plans = [p for p in (GUIDE, *READMES) if re.search(r"^#+ A 90-minute class", p.read_text(), re.M)]
    assert plans == [GUIDE], f"the 90-minute class plan is written in {plans}: keep one, in the guide"
    assert "docs/instructor/guide.md" in (ROOT / "notebooks" / "README.md").read_text()


def test_the_install_commands_are_ones_that_work():
    # ptsim is not on a package index: "pip install ptsim[lab]" fails; a path (".", a wheel file) works
    for path in (GUIDE, *READMES):
        for cmd in re.findall(r"pip install[^\n`|&;]*", path.read_text()):
            target = cmd.split("pip install", 1)[1].split("#", 1)[0].split()
            named = [t.strip("\"'") for t in target if not t.startswith("-")]
            for t in named:
                assert (
                    t.startswith((".", "dist/")) or t.endswith(".whl") or "/" in t or t in {"playwright"}
                ), f"{path.name}: {cmd!r} installs {t!r} from an index, where ptsim is not"


def test_the_guide_has_a_projector_section():
    text = GUIDE.read_text()
    assert "## On a projector" in text and "1024" in text

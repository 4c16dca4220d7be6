"""Generate the parameter tables of ``docs/model.md`` from the code (the single source of truth).

``python -m ptsim.cli.docs`` rewrites the text between the ``<!-- parameters:start -->`` and
``<!-- parameters:end -->`` markers; a test fails when the document is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ptsim.core.parameters import PARAMETERS
from ptsim.inputs.conditions import BASELINE_KEYS, NATURAL_HISTORY_KEYS, list_conditions, load_condition

START, END = "<!-- parameters:start -->", "<!-- parameters:end -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _calibrated_values() -> dict[str, dict[str, float]]:
    """Calibrated value of each parameter by condition, from the calibrated layers."""
    out: dict[str, dict[str, float]] = {}
    for name in list_conditions():
        c = load_condition(name)
        if c.calibration:
            for key, value in c.calibration["values"].items():
                out.setdefault(key, {})[name] = value
    return out


def parameter_tables() -> str:
    """Markdown tables: model-wide parameters, then each condition's numbers with sources."""
    calibrated = _calibrated_values()
    lines = [
        "### Model-wide parameters",
        "",
        "`default` is the model-wide value; `calibrated` lists the conditions whose calibrated layer",
        "(`data/calibrated/<condition>.toml`, written by `python -m ptsim.analysis.calibrate`) replaces it,",
        "with",
        "the fitted value; the evidence rows each fit used are listed under the condition below.",
    ]
    group = None
    for p in PARAMETERS.values():
        if p.group != group:
            group = p.group
            lines += [
                "",
                f"**{group}**",
                "",
                "| name | default | range | meaning | source | calibrated |",
                "|---|---|---|---|---|---|",
            ]
        cal = "; ".join(f"{c}: {v:.4g}" for c, v in calibrated.get(p.name, {}).items()) or "-"
        lines.append(
            f"| `{p.name}` | {p.default:g} | {p.low:g}-{p.high:g} | {_cell(p.meaning)} | {_cell(p.source)} "
            f"| {cal} |"
        )
    lines += ["", "### Conditions", ""]
    for name in list_conditions():
        c = load_condition(name)
        base = load_condition(name, calibrated=False)  # the file's values; calibrated rows follow
        lines += [
            f"#### {c.title} (`{c.name}`)",
            "",
            f"{c.description}. Movement: {c.rom_measure}, normal {c.rom_normal_deg:g} deg "
            f"({_cell(c.sources['condition.rom_normal_deg'])}).",
            "",
            "| key | value | source |",
            "|---|---|---|",
        ]
        for t, share in c.tissue_shares.items():
            lines.append(f"| tissue share `{t}` | {share:g} | {_cell(c.sources[f'tissue_shares.{t}'])} |")
        for key, kind in BASELINE_KEYS.items():
            d = c.baseline[key]
            bounds = f", in [{d.low:g}, {d.high:g}]" if kind == "truncated normal" else ""
            lines.append(
                f"| baseline `{key}` | {d.mean:g} +/- {d.sd:g} ({kind}{bounds}) | {_cell(d.source)} |"
            )
        for key in NATURAL_HISTORY_KEYS:
            lines.append(
                f"| natural history `{key}` | {base.natural_history[key]:g} | "
                f"{_cell(c.sources[f'natural_history.{key}'])} |"
            )
        for tech, (share, grade) in c.manual_therapy.items():
            src = _cell(c.sources[f"manual_therapy.{tech}"])
            graded = "" if grade is None else f", grade {grade}"
            lines.append(f"| indicated `{tech}` | share {share:g}{graded} | {src} |")
        q = c.questionnaire
        if q is not None:
            mcid_unit = "points" if q.mcid_kind == "points" else "% of baseline"
            worse = "higher" if q.higher_is_worse else "lower"
            scale_src, mcid_src = _cell(q.sources["scale_max"]), _cell(q.sources[f"mcid_{q.mcid_kind}"])
            lines += [
                f"| questionnaire `{q.name}` | {_cell(q.title)}, {q.scale_min:g}-{q.scale_max:g} "
                f"({worse} is worse) | {scale_src} |",
                f"| questionnaire MCID | {q.mcid:g} {mcid_unit} | {mcid_src} |",
            ]
            for w, value in zip(("pain", "rom", "strength"), q.weights, strict=True):
                lines.append(
                    f"| questionnaire `weight_{w}` | {value:g} | {_cell(q.sources[f'weight_{w}'])} |"
                )
        for key, src in c.sources.items():
            if key.startswith("response."):
                pname = key.split(".", 1)[1]
                lines.append(f"| override `{pname}` | {base.parameters[pname]:g} | {_cell(src)} |")
        if c.calibration:
            fit = c.calibration
            for key, value in fit["values"].items():
                lines.append(
                    f"| calibrated `{key}` | {value:.4g} (before calibration {fit['defaults'][key]:.4g}) | "
                    f"fitted {fit['date']} by `ptsim.calibrate` to evidence rows "
                    f"{', '.join(f'`{r}`' for r in fit['evidence_rows'])} (`data/evidence/targets.csv`) |"
                )
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def render(document: str) -> str:
    """The document with its generated section replaced."""
    if START not in document or END not in document:
        raise ValueError(f"the document lacks the markers {START} ... {END}")
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{parameter_tables()}{END}{tail}"


def main(argv=None) -> int:
    path = Path(argv[0] if argv else "docs/model.md")
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"updated {path}")
    else:
        print(f"{path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

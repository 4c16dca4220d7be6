"""Write the instructor answer key, ``docs/instructor/answer_key.md``, from the current model.

    python docs/instructor/make_answer_key.py          # rewrite the key
    python docs/instructor/make_answer_key.py --check  # exit 1 if the stored key is out of date

Every number in the key is computed here, from the same functions the lessons and their apps use,
so the key follows the model: ``tests/test_answer_key.py`` regenerates it and compares it with the
stored file. The checkable exercises come from ``ptsim.teaching.lessons.QUESTIONS`` (with the
model's explanation and the likely mistakes the feedback recognises); the explore and discuss
questions of the lessons have model answers written below, around numbers computed from the model.

The key lives outside the ``ptsim`` package on purpose: students run the lessons with ptsim
installed, and the answers are not one function call away from them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "answer_key.md"


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


# --- the explore and discuss questions ------------------------------------------------------------


def explore_1_3() -> str:
    from ptsim.teaching.computations import patient_table

    rows = []
    for patient in range(11):
        comp, _ = patient_table("knee_oa", patient, show_usual_care=False)
        base = comp["exercise_only"].cohort.iloc[0]
        gain = float(comp["exercise_only"].function[0, 365] - comp["manual_only"].function[0, 365])
        rows.append((patient, base.pain_baseline_nprs, base.strength_baseline_pct_normal, gain))
    by_gap = sorted(rows, key=lambda r: abs(r[3]))
    small, large = by_gap[0], by_gap[-1]
    gains = np.array([r[3] for r in rows])
    r_pain = float(np.corrcoef([r[1] for r in rows], gains)[0, 1])
    r_strength = float(np.corrcoef([r[2] for r in rows], gains)[0, 1])
    ahead = [r[0] for r in rows if r[3] > 0]
    table = "\n".join(
        f"| {p} | {pain:.1f} | {s:.0f} | {g:+.1f} |" for p, pain, s, g in sorted(rows, key=lambda x: x[0])
    )
    if r_pain < -0.3:
        who = (
            "the more pain a patient starts with, the further hands-on care alone ends ahead of exercise "
            "alone: its relief is what lasts for them, and a patient in more pain does less of the "
            "prescribed exercise (lesson 6)"
        )
    elif r_strength < -0.3:
        who = (
            "the weaker the patient starts, the more exercise adds, because strength is what exercise builds "
            "and what manual therapy leaves alone"
        )
    else:
        who = "neither baseline pain nor baseline strength alone predicts who gains most here"
    return (
        f"Function at a year, exercise only minus manual only, for patients 0-10 (knee OA):\n\n"
        "| patient | baseline pain (NPRS) | baseline strength (% normal) | exercise minus manual (points) |\n"
        f"|---|---|---|---|\n{table}\n\n"
        f"Closest together: patient {small[0]} ({small[3]:+.1f} points); furthest apart: patient {large[0]} "
        f"({large[3]:+.1f} points). Exercise alone ends ahead for "
        + (f"patient(s) {', '.join(map(str, ahead))} only" if ahead else "none of them")
        + f". Across these 11 patients the difference correlates with baseline pain (r = {r_pain:.2f}) and "
        f"with baseline strength (r = {r_strength:.2f}): {who}. Strength itself rises only with exercise "
        "(the strength panel)."
    )


def explore_2_3() -> str:
    from ptsim.teaching.computations import technique_table

    t = {g: technique_table("adhesive_capsulitis", "joint_mobilization", 10, g)[1] for g in (1, 4)}
    col = "straight after"
    rom = {g: float(t[g].loc["ROM incl. less guarding (deg)", col]) for g in t}
    pain = {g: float(t[g].loc["pain change (NPRS)", col]) for g in t}
    return (
        f"Frozen shoulder, 10 minutes of joint mobilization, straight after: grade I gives {rom[1]:+.1f} deg "
        f"and {pain[1]:+.2f} NPRS; grade IV {rom[4]:+.1f} deg and {pain[4]:+.2f} NPRS. "
        + (
            "The range moves more with the grade than the pain relief does"
            if abs(rom[4] - rom[1]) / max(abs(rom[1]), 1e-9)
            > abs(pain[4] - pain[1]) / max(abs(pain[1]), 1e-9)
            else "The pain relief moves more with the grade than the range does"
        )
        + ". Low grades (I-II) stay short of the resistance: they relieve pain and guarding without "
        "loading the tissue, which suits a very irritable shoulder; the high grades into resistance are "
        "what remodel the capsule once the shoulder tolerates them."
    )


def explore_2_4() -> str:
    from ptsim.inputs.conditions import load_condition
    from ptsim.teaching.computations import TECHNIQUE_LABELS, technique_table

    cond = load_condition("chronic_neck_pain")
    gains = {
        t: float(
            technique_table("chronic_neck_pain", t, 10, 3)[1].loc["ROM incl. less guarding (deg)"].iloc[0]
        )
        for t in TECHNIQUE_LABELS
    }
    best = max(gains, key=gains.get)
    shares = ", ".join(f"{k} {v:.0%}" for k, v in cond.tissue_shares.items())
    listing = ", ".join(f"{TECHNIQUE_LABELS[k]} {v:+.1f} deg" for k, v in gains.items())
    return (
        f"Chronic neck pain, 10 minutes at grade III, straight after: {listing}. The most range comes from "
        f"{TECHNIQUE_LABELS[best]}, because this condition's restriction sits mostly elsewhere than a "
        f"frozen shoulder's: its tissue shares are {shares}. A technique frees only the restriction of the "
        "tissue it acts on."
    )


def explore_3_3() -> str:
    from ptsim.teaching.computations import window_table

    gain = "durable range gained (deg)"
    rows = []
    for gap in range(0, 65, 5):
        t = window_table("knee_oa", "manual first", 15, 25, gap)[2]
        rows.append((gap, float(t.loc["manual first", gain] - t.loc["exercise first", gain])))
    first = next((g for g, d in rows if abs(d) < 0.2), None)
    listing = ", ".join(f"{g} min {d:.2f}" for g, d in rows)
    found = (
        f"The order first makes less than 0.2 deg of difference at a gap of {first} minutes"
        if first is not None
        else "No gap up to 60 minutes brings the difference below 0.2 deg"
    )
    return (
        f"Manual first minus exercise first, durable range after one session, by gap (deg): {listing}. "
        f"{found} (the app's gap slider moves in 5-minute steps): the window closes with a time constant "
        "of about 12 minutes, so after a long gap nothing is left to consolidate."
    )


def explore_3_4() -> str:
    from ptsim.teaching.computations import window_table

    t = window_table("knee_oa", "manual first", 15, 25, 0, consolidation=0.0)[2]
    col = "pain as exercise starts (NPRS)"
    return (
        f"With the hypothesis off, pain as the exercise starts is {t.loc['manual first', col]:.2f} NPRS with "
        f"manual therapy first against {t.loc['exercise first', col]:.2f} with exercise first. The relief is "
        "evidence (lesson 2), and a patient in less pain completes more of the prescribed exercise (the "
        "tolerance curve of lesson 6), so manual therapy first would still help the exercise dose, if by "
        "less."
    )


def explore_4_3() -> str:
    from ptsim.teaching.apps import CAPACITY_SPECS
    from ptsim.teaching.computations import capacity_table

    default = capacity_table("knee_oa")[1]
    target = float(default.loc[default.day == 84, "strength_pct_normal"].iloc[0])
    longest = CAPACITY_SPECS["weeks"]["max"]
    most_minutes = CAPACITY_SPECS["exercise_minutes"]["max"]
    found = None  # the shortest programme, then the least effort, then the fewest minutes (the app's ranges)
    for weeks in range(12, longest + 1):
        for effort in (0.8, 0.9, 1.0):
            for minutes in range(40, most_minutes + 1, 10):
                comp = capacity_table(
                    "knee_oa", sessions_per_week=2, weeks=weeks, effort=effort, exercise_minutes=minutes
                )[1]
                end = float(comp.loc[comp.day == weeks * 7, "strength_pct_normal"].iloc[0])
                if end >= target:
                    found = (weeks, effort, minutes, end)
                    break
            if found:
                break
        if found:
            break
    if found is None:
        reached = (
            f"No 2-a-week programme the app allows (up to {longest} weeks, {most_minutes} min, full effort) "
            "reaches it"
        )
    else:
        reached = (
            f"Two sessions a week reach it in {found[0]} weeks at {found[1]:.0%} effort with {found[2]} min "
            f"of exercise per session ({found[3]:.1f} % of normal at the programme's end); with 40-min "
            "sessions it takes longer or more effort"
        )
    return (
        f"The default programme (3 a week, 40 min at 80 %) reaches {target:.1f} % of normal at week 12 "
        f"(day 84). {reached}. Fewer sessions need more weeks, more minutes or more effort: what builds "
        "strength is the weekly dose above the fatigue it costs."
    )


def explore_5_3() -> str:
    from ptsim.teaching import lessons

    base = lessons.compare_plans(n_patients=100)
    none = lessons.compare_plans(home_adherence=0.0, n_patients=100)
    out = ("pain", "rom", "strength", "function")
    units = {"pain": "NPRS", "rom": "deg", "strength": "% of normal", "function": "points"}
    scale = {"pain": 10, "rom": 135, "strength": 100, "function": 100}

    def change(day):
        return {
            o: float(none["combined"].outcome(o)[:, day].mean() - base["combined"].outcome(o)[:, day].mean())
            for o in out
        }

    at = {day: change(day) for day in (42, 365)}
    most = max(out, key=lambda o: abs(at[42][o]) / scale[o])

    def listing(c):
        return ", ".join(f"{o} {v:+.1f} {units[o]}" for o, v in c.items())

    faded = abs(at[365]["function"]) < abs(at[42]["function"]) / 2
    return (
        f"With home adherence 0, combined care changes at discharge by {listing(at[42])}; a year later by "
        f"{listing(at[365])}. Relative to its scale, {most} changes most at discharge; the home programme "
        "is part of the exercise dose that lowers pain and builds strength. "
        + (
            "By a year most of the difference is gone: what the home programme adds fades once patients stop "
            "it, and in the evidence scenario they do fewer and fewer home sessions after discharge (the "
            "fitted decline of adherence, lesson 4)."
            if faded
            else "Much of the difference is still there a year later: the home programme keeps part of the "
            "gain after discharge."
        )
    )


def explore_5_4() -> str:
    from ptsim.inputs.conditions import load_condition
    from ptsim.teaching import lessons
    from ptsim.teaching.apps import COMPARE_SPECS

    # what the app shows: its default settings, acute low back pain, the three plans
    n = COMPARE_SPECS["n_patients"]["default"]
    comp = lessons.compare_plans("low_back_pain", n_patients=n)
    f = {p: float(comp[p].function[:, 365].mean()) for p in comp}
    start = float(comp["combined"].baseline("function").mean())
    spread = max(f.values()) - min(f.values())
    gain = min(f.values()) - start
    listing = ", ".join(f"{p.replace('_', ' ')} {v:.1f}" for p, v in f.items())
    nh = load_condition("low_back_pain").natural_history
    return (
        f"The app at its defaults ({n} patients), acute low back pain, function (0-100) at day 365: "
        f"{listing}; {start:.1f} before care. The three plans end {spread:.1f} points apart, while every "
        f"plan has gained at least {gain:.1f} points since before care. Most of that gain is the "
        f"condition's own course: acute low back pain mostly recovers on its own (its natural history keeps "
        f"{100 * nh['pain_end_frac']:.0f} % of the starting pain, with a time constant of "
        f"{nh['pain_tau_days']:.0f} days), so by a year every plan has arrived close to the same place. Care "
        "changes how fast patients get there (compare day 14) and how often it comes back (lesson 7), less "
        "where most of them end up."
    )


def explore_6_4() -> str:
    from ptsim.teaching import lessons

    group, pain = "7 or more", "pain at discharge, day 42 (NPRS)"
    dose, flares = "effective exercise in care (min)", "flares in care per patient"
    rows = {"the defaults": lessons.pain_table()[3].loc[group]}
    rows.update({c: lessons.pain_table(**lessons.SETTINGS_6_3[c])[3].loc[group] for c in lessons.CHOICES_6_3})
    listing = "; ".join(
        f"{name}: {r[flares]:.1f} flares, {r[dose]:.0f} min of effective exercise, pain {r[pain]:.1f} NPRS"
        for name, r in rows.items()
    )
    return (
        f"Patients starting at 7/10 or more (knee OA, six weeks): {listing}. Flares are a cost, not the "
        "outcome: pain falls with the exercise a patient completes (graded exercise lowers the pain set "
        "point), and a lower effort avoids flares by doing less of it. To a patient at 8/10 who asks to "
        "take it easy: keep exercising, at a dose whose pain stays within the pain-monitoring ceiling "
        "(up to 5/10 during it); ease pain before the exercise (manual "
        "therapy, lesson 2) rather than dropping the exercise; rest does not lower the pain (exercise 6.2)."
    )


def explore_7_3() -> str:
    from ptsim.teaching.computations import setback_table

    comp = setback_table("knee_oa", after_discharge_days_per_week=0, years=3)[0]
    rates = {}
    for plan in ("usual_care", "exercise_only", "combined"):
        events = comp[plan].setback_events
        rates[plan] = [float(events[:, 365 * y : 365 * (y + 1)].sum(axis=1).mean()) for y in range(3)]
    ratio = [rates["exercise_only"][y] / rates["usual_care"][y] for y in range(3)]
    listing = "; ".join(
        f"year {y + 1}: no treatment {rates['usual_care'][y]:.2f}, "
        f"exercise only {rates['exercise_only'][y]:.2f}"
        for y in range(3)
    )
    year = next((y + 1 for y, r in enumerate(ratio) if r > 0.9), None)
    when = (
        f"By year {year} exercise only's new setbacks are within 10 % of no treatment's: the curves run "
        "parallel."
        if year
        else "Even in year 3 exercise only's new setbacks stay more than 10 % below no treatment's."
    )
    return (
        f"No maintenance: new setbacks per patient in each year ({listing}). {when} Fitness and hypertrophy "
        "detrain within months once exercise stops, and motor control fades more slowly (lesson 4), so the "
        "protection exercise gave drains away, slowest where motor control holds it."
    )


def _timing(day: int) -> str:
    if day <= 2:
        return "straight after a session (day 0-2)"
    if day < 182:
        return "during care or around its end (before six months)"
    return "six months or more after the start of care"


def _likely_reason(row) -> str:
    """The likeliest of the lesson's three reasons for a missed row (a model answer's reading)."""
    if row.role == "known_gap":
        return (
            "the model's structure: a known gap (the trial's patients are not the population the condition "
            "models), listed and never fitted"
        )
    if row.status == "not_modelled":
        return "the model's structure (" + row.mapping + ")"
    if any(tag.startswith("pooled") for tag in row.tags):
        return "one trial against a pool: a pooled estimate averages many protocols, the model runs one plan"
    if row.day >= 182:
        return (
            "the assumptions about what happens after discharge (home adherence falling off, lasting "
            "effects, the untreated course), none measured directly"
        )
    if row.day <= 2:
        return "the model's structure for one session's effect (one time course for every patient)"
    return "how the trial's protocol and questionnaire are translated into the model (assumptions)"


def explore_8_3() -> str:
    from ptsim.analysis.evidence import published_targets
    from ptsim.teaching import lessons

    check = lessons.evidence_check("chronic_neck_pain")
    meta = published_targets("chronic_neck_pain").set_index("id")
    t = check["table"].join(meta[["day", "tags", "notes"]], on="id")
    c = lessons.coverage(check)
    modelled = t[t["status"] == "modelled"]
    missed = modelled[~modelled["covered"].astype(bool)]
    lines = []
    for r in missed.itertuples():
        unit = lessons.row_unit(r.instrument, r.quantity)
        lines.append(
            f"- {lessons.result_label(r.id)} ({lessons.ROLE_LABELS.get(r.role, r.role)}, day {r.day}, "
            f"{_timing(r.day)}): published {r.published:.2f} [{r.low:.2f}, {r.high:.2f}], model "
            f"{r.predicted_median:.2f} [{r.predicted_low:.2f}, {r.predicted_high:.2f}] {unit}. Likeliest "
            f"reason: {_likely_reason(r)}."
        )
    by_time = {}
    for r in modelled.itertuples():
        counts = by_time.setdefault(_timing(r.day), [0, 0])
        counts[0] += not r.covered
        counts[1] += 1
    summary = "; ".join(f"{k}: {m} of {n} missed" for k, (m, n) in by_time.items())
    shares = {k: m / n for k, (m, n) in by_time.items()}
    top = [k for k, v in shares.items() if v == max(shares.values(), default=0) and v > 0]
    if not top:
        where = " Nothing is missed."
    elif (missed["role"] == "known_gap").all():
        where = (
            " Every miss is a known gap (a population the condition does not model, never fitted): the "
            "fitted and held-out results are all covered, so the expected answer is the structure reason."
        )
    else:
        where = f" The misses are most frequent {' and '.join(top)}."
    return (
        f"Chronic neck pain, evidence scenario ({check['basis']}): {c['fit_covered']} of {c['fit']} fit "
        f"rows, {c['held_out_covered']} of {c['held_out']} held-out rows and {c['known_gap_covered']} of "
        f"{c['known_gap']} known gaps covered. By timing: {summary}."
        + where
        + ("\n\n" + "\n".join(lines) if lines else "")
        + "\n\nA good student answer names one miss, its timing, and argues one reason; the reasons above "
        "are the likeliest reading, not the only defensible one."
    )


MEASURE_BY_GROUP = {
    "techniques": "pain and range measured minutes, hours and days after one session of the technique, "
    "against a sham or no-treatment group",
    "pain": "pain measured every week during and after a graded exercise programme of known dose",
    "capacity": "strength measured (dynamometer) every two weeks through a programme of known dose",
    "gating": "home-session logs against the day's pain, and flares after sessions above the pain threshold",
    "lasting": "pain in a manual-therapy-only arm against usual care at 3, 6 and 12 months after care",
    "adherence": "home-programme logs (or activity monitors) kept for a year after discharge",
    "setbacks": "recurrences, and pain and function during them, in patients followed after recovery",
    "natural_history": "an untreated or waiting-list group followed for a year",
}


def explore_8_4() -> str:
    from ptsim.core.parameters import PARAMETERS
    from ptsim.teaching import lessons

    check = lessons.evidence_check("knee_oa")
    table = lessons.unidentified_table("knee_oa")
    if table is None:
        return (
            "Knee OA has no stored ensemble yet, so the report cannot list unidentified parameters; run "
            "`python -m ptsim.analysis.bayes knee_oa` and regenerate this key."
        )
    names = check["unidentified"] or []
    ratio = "SD ratio (posterior / prior)"
    least = list(table[ratio].sort_values(ascending=False).index[:3])
    lines = []
    for p in dict.fromkeys([*names, *least]):
        r = table.loc[p]
        group = PARAMETERS[p].group if p in PARAMETERS else "natural_history"
        measure = MEASURE_BY_GROUP.get(group, "a result that depends on it directly")
        lines.append(
            f"- `{p}` ({r['meaning']}){' - unidentified' if p in names else ''}: prior {r['prior low']:g} "
            f"to {r['prior high']:g}, posterior median {r['posterior median']:.3g}, its SD {r[ratio]:.0%} "
            f"of the prior's. To pin it down: {measure}."
        )
    return (
        f"Knee OA: the evidence leaves {len(names)} of {len(table)} fitted parameters unidentified "
        "(posterior SD above 80 % of the prior's); the list below adds the ones it narrows least, which "
        "students with an empty list should pick:\n\n"
        + "\n".join(lines)
        + "\n\nFor a patient it means that what the model says through that parameter (for example how long "
        "relief lasts after manual therapy, or whether a home programme is kept up after discharge) is as "
        "uncertain as the parameter's whole documented range: the intervals in the lesson include it. It "
        "is not evidence that the effect is absent, nor that it is present; a clinician should not read a "
        "confident prediction into it, and a trial measuring it would be worth more than another trial of "
        "what is already pinned down."
    )


def explore_9_3() -> str:
    from ptsim.teaching import lessons

    def shares(n, outcome=lessons.TRIAL_OUTCOME):
        table = lessons.trial_estimates("knee_oa", lessons.TRIAL_ARMS, n_per_arm=n, outcome=outcome)[2]
        return float(table["significant (%)"].iloc[0]), float(table["pointing the wrong way (%)"].iloc[0])

    grid = list(range(4, 202, 2))
    lo, hi = 0, len(grid) - 1
    if shares(grid[hi])[0] < 80:
        power, wrong = shares(grid[hi])
        return (
            f"Even at {grid[hi]} patients per arm only {power:.0f} % of the trials reach p < 0.05: the true "
            "difference is too small for the app's largest trials."
        )
    while lo < hi:  # power rises with n (Monte-Carlo noise aside): bisect on the slider's steps
        mid = (lo + hi) // 2
        if shares(grid[mid])[0] >= 80:
            hi = mid
        else:
            lo = mid + 1
    n = grid[lo]
    power, wrong = shares(n)
    pain_power, pain_wrong = shares(n, "pain")
    return (
        f"About {n} patients per arm for function (found by bisection on the slider's steps; 100 trials "
        f"each, so the exact number moves a little with the Monte-Carlo noise): {power:.0f} % reach "
        f"p < 0.05 and {wrong:.0f} % point the wrong way. With pain as the outcome at the same size the "
        f"power is {pain_power:.0f} % ({pain_wrong:.0f} % pointing the wrong way): the power belongs to "
        "an outcome and its difference against how much patients vary, not to the trial's size alone, so "
        "a trial is sized for its primary outcome and its secondary outcomes may be under-powered."
    )


def explore_9_4() -> str:
    from ptsim.teaching import lessons

    n = 200
    _, truth, table = lessons.trial_estimates(
        "knee_oa", ("combined_reversed", "combined"), n_per_arm=n, outcome="rom"
    )
    sd = float(table["SD of estimates"].iloc[0])
    power = float(table["significant (%)"].iloc[0])
    # the SD of an estimate falls as 1/sqrt(n); 80 % power at p < 0.05 needs |truth| = 2.8 SD
    need = n * (2.8 * sd / abs(truth)) ** 2 if truth != 0 else float("inf")
    return (
        f"Knee OA, combined against combined in reverse order, ROM at discharge, {n} patients per arm: true "
        f"difference {truth:+.2f} deg, SD of the estimates {sd:.2f} deg, power {power:.0f} %. Scaling the "
        f"SD as 1/sqrt(n), 80 % power needs about {need:,.0f} patients per arm. "
        + (
            "By the model's numbers that is a feasible trial; "
            if need <= 200
            else "By the model's numbers that is a large trial; "
        )
        + "but the size of the sequence effect is the consolidation hypothesis, an assumption, so the real "
        "number is unknown. It has not been run because both arms give the same two treatments (no sponsor "
        "gains from the answer), the therapist cannot be blinded to the order, and the outcome that would "
        "move, durable range, is not what most trials measure."
    )


def explore_10_4() -> str:
    from ptsim.teaching import lesson10

    fc = lesson10.case_forecast()
    day = fc.visits.last_day + lesson10.HORIZON_DAYS
    row = lesson10.at(fc, "pain", day).loc["combined"]
    answer, _, mcid = lesson10.lowest_or_tie(fc, "pain", day)
    ties = (
        f"that no plan beats the others by the MCID ({mcid:g} points) on pain: a tie"
        if answer == lesson10.TIE
        else f"that {answer.replace('_', ' ')} beats the others by at least the MCID ({mcid:g} points)"
    )
    return (
        f"Not a promise of 3/10. The forecast for combined care on day {day} is a median pain reading of "
        f"{row['median']:.0f}, with half of the virtual patients who read like this patient between "
        f"{row['low_50']:.0f} and {row['high_50']:.0f} and nine in ten between {row['low_90']:.0f} and "
        f"{row['high_90']:.0f}; about {100 * row['p_mcid']:.0f} % improved by at least the NPRS MCID "
        f"({mcid:g} points) from the first visit. A good answer gives the range and the chance, says "
        f"{ties}, that the forecast rests on "
        f"{fc.ess:.0f} effective virtual patients and on the model's evidence (docs/evidence_report.md, "
        "held-out results included), and that it is a model forecast for teaching, not clinical advice: "
        "the next visits will narrow or move it."
    )


EXPLORE = {
    "1.3": explore_1_3,
    "2.3": explore_2_3,
    "2.4": explore_2_4,
    "3.3": explore_3_3,
    "3.4": explore_3_4,
    "4.3": explore_4_3,
    "5.3": explore_5_3,
    "5.4": explore_5_4,
    "6.4": explore_6_4,
    "7.3": explore_7_3,
    "8.3": explore_8_3,
    "8.4": explore_8_4,
    "9.3": explore_9_3,
    "9.4": explore_9_4,
    "10.4": explore_10_4,
}
"""Model answers to the lessons' explore and discuss questions, by id."""


# --- the key --------------------------------------------------------------------------------------


def checkable(qid: str) -> str:
    from ptsim.teaching import lessons

    q = lessons.QUESTIONS[qid]
    s = lessons.answer_key(qid)
    unit = f" {q.unit}" if q.unit and not q.choices else ""
    lines = [
        f"**Answer: {_fmt(s.answer)}{unit}**"
        + (f" (accepted within ±{q.tolerance:g})" if q.tolerance else "")
    ]
    if s.values and q.value_label:
        shown = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in s.values.items())
        lines.append(f"The numbers behind it ({q.value_label}): {shown}.")
    lines.append(s.explanation)
    reasoning = {k: v for k, v in s.mistakes.items() if isinstance(v, str) and k != s.answer}
    if q.choices and reasoning:  # a wrong choice -> the reasoning the feedback names
        lines.append(
            "Wrong choices and the likely reasoning the feedback names: "
            + "; ".join(f"{_fmt(k)}: {v}" for k, v in reasoning.items())
            + "."
        )
    elif s.mistakes:
        lines.append(
            "Wrong answers the feedback recognises: "
            + "; ".join(f"{_fmt(v)} ({k})" for k, v in s.mistakes.items())
            + "."
        )
    lines.append(f"Where students find it: {q.where}.")
    return "\n\n".join(lines)


def lesson_questions(path: Path) -> dict[str, str]:
    """The explore and discuss questions of one lesson notebook: id -> the question's text."""
    import re

    import nbformat

    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(
                r"\*\*(\d+\.\d+) \((?:explore|discuss|discussion)\)\.\*\*(.*?)(?=\n\n|\Z)", cell.source, re.S
            ):
                found[m.group(1)] = " ".join(m.group(2).split())
    return found


def build() -> str:
    """The answer key's Markdown text."""
    from ptsim.teaching import lessons

    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    explore_text = {}
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        explore_text.update(lesson_questions(path))
    parts = [
        "# Answer key (instructors)",
        "",
        "Generated by `python docs/instructor/make_answer_key.py` from the current model; "
        "`tests/test_answer_key.py` fails when it is out of date. Do not hand it out: students check their "
        "answers with `check_answer(...)`, which names the likely mistake without giving the answer away.",
        "",
        "The exercises are written for the condition each names (mostly knee osteoarthritis, the lessons' "
        "story). Switching a lesson's `CONDITION` changes its apps and computed cells, not these answers.",
    ]
    for lesson in range(1, 11):
        ids = sorted(
            [q for q in lessons.QUESTIONS if q.startswith(f"{lesson}.")]
            + [q for q in EXPLORE if q.startswith(f"{lesson}.")],
            key=lambda q: int(q.split(".")[1]),
        )
        parts += ["", f"## Lesson {lesson}"]
        for qid in ids:
            if qid in lessons.QUESTIONS:
                parts += ["", f"### {qid} (checkable)", "", lessons.QUESTIONS[qid].prompt, "", checkable(qid)]
            else:
                parts += [
                    "",
                    f"### {qid} (explore / discuss)",
                    "",
                    explore_text.get(qid, ""),
                    "",
                    "**Model answer.** " + EXPLORE[qid](),
                ]
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = build()
    if "--check" in argv:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python docs/instructor/make_answer_key.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

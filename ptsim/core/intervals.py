"""Intervals that say what they are, and verdicts that weigh a difference against the MCID.

Three intervals of a mean outcome (or of a mean difference between plans) appear in ptsim:

- the **t confidence interval** of a simulated cohort's mean (patient sampling only: a run without an
  ensemble; more patients narrow it);
- the **evidence interval** of the population mean: the spread over an ensemble's members (each an
  evidence-consistent parameter set) of each member's mean. More patients do not narrow it. It is a
  pair of quantiles of a few members' means, so its ends carry Monte-Carlo error: with fewer than
  :data:`MEMBERS_WITHOUT_MC_ERROR` members the error is estimated (:func:`quantile_mc_error`) and
  stated beside it;
- the **next-trial interval** of a difference: what a new two-arm trial of a chosen size would
  estimate. It adds to the evidence interval the between-trial heterogeneity of a random-effects
  meta-analysis (a standard deviation tau per outcome family, :data:`HETEROGENEITY_TAU_SMD`, in units of
  the outcome's between-patient SD) and the trial's own sampling error (:func:`next_trial_interval`).

The calibration likelihood (:mod:`ptsim.analysis.likelihood`) writes the same idea, between-trial
heterogeneity, relative to a published trial's own variance (``I^2``, Rhodes et al. 2016), because
there each row's trial size is given; the next-trial interval is for a trial size the user chooses,
so it needs the heterogeneity as an absolute tau, which does not shrink as the trial grows.

A difference is then judged twice (:func:`judge`): against zero (does the interval hold 0?) and
against the instrument's minimal clinically important difference (:func:`mcid_points`): a difference
whose interval lies inside +-MCID is "separated but smaller than the MCID", never "X is higher". An
outcome without an MCID in points is judged against what its instrument can read (its resolution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ptsim.core.instruments import GONIOMETER_RESOLUTION_DEG, INSTRUMENTS

MCID = {
    "pain_points": (2.0, "Farrar et al. 2001 (NPRS clinically important change ~2 points)"),
    "pain_percent": (30.0, "Farrar et al. 2001 (~30 %)"),
    "function_percent": (20.0, "Angst et al. 2002 (WOMAC MCID 17-22 % of baseline)"),
}
"""MCIDs used to call a patient a responder and to judge differences, with sources."""

RESOLUTION = {
    "rom": (GONIOMETER_RESOLUTION_DEG, "goniometer"),
    "pain": (INSTRUMENTS["nprs"].resolution, "NPRS"),
    "strength": (INSTRUMENTS["dynamometer"].resolution, "hand-held dynamometer"),
}
"""What the instrument of each measured outcome can read (its resolution, in the outcome's unit)."""

FIXED_TOLERANCE = 1e-9
"""An interval narrower than this share of its mean (or than this, near 0) has no width: rounding."""

MEMBERS_WITHOUT_MC_ERROR = 200
"""Members from which an evidence interval's 2.5 and 97.5 % ends are stated without their Monte-Carlo
error (calibration v3, issue 21); with fewer, the error is estimated and shown."""

MC_ERROR_RESAMPLES = 400
"""Bootstrap resamples of the members behind :func:`quantile_mc_error` (a fixed generator: the same
numbers on every call)."""

RHODES_2015 = (
    "Rhodes, Turner & Higgins 2015, J Clin Epidemiol 68:52-60 (doi 10.1016/j.jclinepi.2014.08.012), "
    "Table 3: predictive log-t(5 df) distribution of tau^2 for standardized mean differences, "
    "non-pharmacological comparisons; values as transcribed in the R package bayesmeta "
    "(RhodesEtAlParameters)"
)

RHODES_PAIN_FUNCTION_LOCATION = -3.02
"""Location (mean of log tau^2) of Rhodes et al.'s predictive distribution for the row 'general
physical health and adverse event and pain and quality of life / functioning', non-pharmacological
comparisons (scale 2.27, 5 df): its median tau is ``exp(location / 2)`` = 0.221 SMD."""

_TAU = round(math.exp(RHODES_PAIN_FUNCTION_LOCATION / 2), 3)

HETEROGENEITY_TAU_SMD = {
    "pain": (_TAU, f"{RHODES_2015}: pain and functioning, median tau"),
    "function": (_TAU, f"{RHODES_2015}: pain and functioning, median tau"),
    "questionnaire": (_TAU, f"{RHODES_2015}: pain and functioning (WOMAC, NDI, RMDQ, SPADI), median tau"),
    "rom": (_TAU, f"assumption: as pain and function ({RHODES_2015}); no row for range of motion"),
    "strength": (_TAU, f"assumption: as pain and function ({RHODES_2015}); no row for strength"),
}
"""Between-trial heterogeneity per outcome family: the median of a random-effects tau (standard
deviation of true effects between trials) in units of the outcome's between-patient SD, with source.
The predictive distribution is wide (its central 95 % runs from tau = 0.012 to 4.1 SD): the median
is a central value, not a bound."""


def mcid_points(condition, outcome: str) -> tuple[float, str] | None:
    """The MCID of ``outcome`` in its own unit, with its source, or None where there is none in points.

    Pain has the NPRS MCID of 2 points (Farrar et al. 2001); a questionnaire the MCID of the
    condition's instrument table when it is stated in points. ROM, strength and the model's function
    score have none in points (function's is 20 % of a patient's baseline disability, a responder rule).
    """
    if outcome == "pain":
        return MCID["pain_points"]
    q = getattr(condition, "questionnaire", None)
    if q is not None and outcome in (q.name, "questionnaire") and q.mcid_kind == "points":
        return float(q.mcid), q.sources.get("mcid_points", "the condition's [questionnaire] table")
    return None


def heterogeneity_family(condition, outcome: str) -> str:
    """The key of :data:`HETEROGENEITY_TAU_SMD` for ``outcome`` (a questionnaire's name -> questionnaire)."""
    if outcome in HETEROGENEITY_TAU_SMD:
        return outcome
    q = getattr(condition, "questionnaire", None)
    if q is not None and outcome in (q.name, "questionnaire"):
        return "questionnaire"
    raise ValueError(
        f"no heterogeneity for outcome {outcome!r}; accepted: {', '.join(HETEROGENEITY_TAU_SMD)}"
    )


def quantile_mc_error(member_values: np.ndarray, level: float) -> np.ndarray:
    """Monte-Carlo standard error of the ends of an evidence interval, per column.

    Parameters
    ----------
    member_values : (m, k) array
        Each member's mean (rows) of ``k`` quantities.
    level : float
        The interval's level (its ends are the ``(1 -+ level) / 2`` percentiles over members).

    Returns
    -------
    (k,) array
        The larger of the two ends' bootstrap standard errors (members resampled with replacement,
        :data:`MC_ERROR_RESAMPLES` times, from a fixed generator), in the values' unit.
    """
    values = np.asarray(member_values, dtype=float)
    m = values.shape[0]
    tail = 100 * (1 - level) / 2
    rng = np.random.default_rng(20240)
    picks = rng.integers(0, m, size=(MC_ERROR_RESAMPLES, m))
    ends = np.percentile(values[picks], [tail, 100 - tail], axis=1)  # (2, resamples, k)
    return ends.std(axis=1, ddof=1).max(axis=0)


def next_trial_interval(
    mean: np.ndarray,
    evidence_var: np.ndarray,
    sd_plan: np.ndarray,
    sd_reference: np.ndarray,
    tau: np.ndarray,
    n_per_arm: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval a new two-arm trial of ``n_per_arm`` patients per arm would find a difference in.

    Normal, centred on ``mean``, with variance ``evidence_var + tau^2 + (sd_plan^2 + sd_reference^2) /
    n_per_arm``: the evidence's uncertainty about the population difference, the between-trial
    heterogeneity (the trial's population, delivery and measurement differ from the pooled ones) and
    the trial's sampling error (different patients in each arm).
    """
    if isinstance(n_per_arm, bool) or not isinstance(n_per_arm, int | np.integer) or n_per_arm < 2:
        raise ValueError(f"n_per_arm must be a whole number >= 2, got {n_per_arm!r}")
    from scipy import stats

    sd = np.sqrt(evidence_var + np.square(tau) + (np.square(sd_plan) + np.square(sd_reference)) / n_per_arm)
    half = stats.norm.ppf(0.5 + level / 2) * sd
    return mean - half, mean + half


@dataclass(frozen=True)
class Judgement:
    """A difference judged against zero and the MCID: ``kind`` (one of :data:`JUDGEMENTS`) and ``words``."""

    kind: str
    words: str


JUDGEMENTS = (
    "fixed by design",
    "not separated",
    "smaller than the MCID",
    "beyond the MCID",
    "separated, MCID undecided",
    "below the instrument's resolution",
    "separated, no MCID",
)
"""The verdicts of :func:`judge`, from "the same by construction" to "clinically important"."""


def judge(
    plan: str,
    reference: str,
    mean: float,
    low: float,
    high: float,
    unit: str,
    mcid: tuple[float, str] | None,
    resolution: tuple[float, str] | None,
    who: str,
) -> Judgement:
    """A difference (plan minus reference) and its interval, judged against 0 and the MCID.

    Parameters
    ----------
    plan, reference : str
    mean, low, high : float
        The mean difference and its interval, in ``unit``.
    unit : str
    mcid : (float, str) or None
        The MCID in ``unit`` and its source (:func:`mcid_points`), or None.
    resolution : (float, str) or None
        What the outcome's instrument reads (:data:`RESOLUTION`), used when there is no MCID.
    who : str
        Who cannot separate the plans: ``"the evidence"`` or ``"these patients"``.
    """
    if not math.isfinite(low):
        return Judgement("not separated", f"one patient: no interval to separate {plan} from {reference}")
    scale = unit.split(" (")[0]  # "WOMAC 0-100 (higher is worse)" -> "WOMAC 0-100"
    if high - low <= FIXED_TOLERANCE * max(1.0, abs(mean)):
        same = (
            "every member of the evidence ensemble gives the same mean difference (none of the parameters "
            "it leaves uncertain acts on it)"
            if who == "the evidence"
            else "every patient has the same difference"
        )
        relation = ""
        if mcid is not None:
            relation = f", {'within' if abs(mean) < mcid[0] else 'beyond'} the MCID of {mcid[0]:g}"
        return Judgement(
            "fixed by design",
            f"fixed by design: {plan} minus {reference} is {mean:+.3g} on {scale}{relation}; {same}, so "
            "there is no interval to show",
        )
    if low <= 0 <= high:
        return Judgement("not separated", f"{who} cannot separate {plan} from {reference}")
    direction = "higher" if mean > 0 else "lower"
    size = max(abs(low), abs(high))  # the interval's far end from 0
    near = min(abs(low), abs(high))
    if mcid is not None:
        value = mcid[0]
        if size < value:
            return Judgement(
                "smaller than the MCID",
                f"{plan} is separated from {reference} but by less than the MCID ({value:g} on {scale}): "
                "not a clinically important difference",
            )
        if near >= value:
            return Judgement(
                "beyond the MCID",
                f"{plan} is {direction} than {reference} by more than the MCID ({value:g} on {scale})",
            )
        return Judgement(
            "separated, MCID undecided",
            f"{plan} is {direction} than {reference}; whether by the MCID ({value:g} on {scale}) the "
            "interval cannot tell",
        )
    if resolution is not None and size < resolution[0]:
        return Judgement(
            "below the instrument's resolution",
            f"{plan} is separated from {reference} by less than the {resolution[1]} reads ({resolution[0]:g} "
            f"{scale}): not a difference a clinician could measure",
        )
    return Judgement(
        "separated, no MCID",
        f"{plan} is {direction} than {reference} (no MCID on {scale} to judge whether it matters)",
    )

"""The likelihood of a condition's published trials given one parameter set (calibration v3).

Calibration v2 read every published row as an exact, independent normal observation of the model's
value on one fixed cohort. This module reads each row as what it is:

1. **Monte-Carlo error.** The model's value of a row is an average over a finite virtual cohort; its
   Monte-Carlo covariance across rows is estimated from bootstrap resamples of the patients (the
   same resample in every arm, so rows that share an arm or a cohort keep their correlation:
   :func:`ptsim.analysis.predict.prepare_rows`) and added to the covariance of the published values.
2. **Rows that share patients enter jointly.** Rows of one source that share an arm are correlated
   with :data:`ROW_CORRELATION` (the correlation of two differences of means that share their
   comparator arm, with equal arm sizes and variances; the same value is assumed for two outcomes or
   times of the same arms).
3. **Between-trial heterogeneity.** A row from one trial or cohort (``design = single``) is one draw
   around the population effect the model predicts: its variance is the published one times
   ``1 + h`` with ``h = I^2 / (1 - I^2)``, the between-study variance relative to a study's own
   (Higgins & Thompson 2002). ``I^2`` has one value per outcome family (continuous or binary), with a
   prior from the predictive distributions of Rhodes, Turner & Higgins 2016 (Res Synth Methods
   7:346-370: for continuous outcomes (standardised mean differences) median 40 %, 95 % interval
   15-73 %; for binary outcomes (log odds ratios) median 22 %, 12-39 %), read as normal on the logit
   scale, and is integrated out with Gauss-Hermite quadrature (:data:`QUADRATURE_NODES` per family).
   A pooled row (``design = pooled``: a meta-analysis's random-effects estimate) estimates the
   population effect itself and gets no heterogeneity term.
4. **Definitions matched.** A risk ratio is compared on the log scale, where its interval is
   symmetric; a range (``interval = range reported``) is read as a range: the likelihood is the
   probability that the population value lies within it, given the model's value and its
   Monte-Carlo error. Rows whose definition the model cannot read are ``known_gap`` in
   ``published.csv`` and never reach this module.

The published standard deviation of a row is half its 95 % interval / 1.96, on the side of the
model's value (an asymmetric interval is respected). A row the model cannot compute (NaN: a median
no half reached, a ratio over no events) counts :data:`ptsim.analysis.calibrate.NAN_RESIDUAL`
half-intervals from its published value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
"""The standard-normal quantile of a two-sided 95 % interval."""

ROW_CORRELATION = 0.5
"""Correlation of the published values of two rows of one source that share an arm: exact for two
differences of means against one comparator arm with equal arm sizes and variances (each difference
has variance 2 s^2/n, their covariance is s^2/n); an assumption for two outcomes or times of the same
arms."""

FAMILIES = ("continuous", "binary")
"""Outcome families with their own heterogeneity: binary = a share, a difference of shares or a risk
ratio; continuous = everything else."""

HETEROGENEITY_PRIOR = {
    # family: (median I^2, lower, upper of its 95 % predictive interval)
    "continuous": (0.40, 0.15, 0.73),
    "binary": (0.22, 0.12, 0.39),
}
"""The predictive distribution of a new meta-analysis's I^2 (Rhodes, Turner & Higgins 2016, Res Synth
Methods 7:346-370, abstract: standardised mean differences median 40 %, 95 % CI 15 % to 73 %; log odds
ratios in a general setting median 22 %, 12 % to 39 %)."""

QUADRATURE_NODES = 5
"""Gauss-Hermite nodes per family over logit(I^2)."""


def _family(model) -> str:
    return "binary" if model.quantity in ("proportion", "proportion_difference", "ratio") else "continuous"


def logit_normal(median: float, low: float, high: float) -> tuple[float, float]:
    """(mean, sd) of a normal on the logit scale through a median and a 95 % interval (the sd is the
    average of the two half-widths on that scale)."""

    def logit(p):
        return math.log(p / (1 - p))

    return logit(median), (logit(high) - logit(low)) / (2 * Z95)


def heterogeneity_nodes(family: str, nodes: int = QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes ``h = I^2 / (1 - I^2)`` of a family's heterogeneity prior and their weights."""
    mu, sd = logit_normal(*HETEROGENEITY_PRIOR[family])
    x, w = np.polynomial.hermite_e.hermegauss(nodes)  # probabilists' Hermite: weight exp(-x^2/2)
    i2 = 1.0 / (1.0 + np.exp(-(mu + sd * x)))
    return i2 / (1.0 - i2), w / w.sum()


@dataclass(frozen=True, eq=False)
class Terms:
    """The published side of a condition's likelihood: made once from its fit rows.

    Attributes
    ----------
    ids : list of str
    published, low, high : numpy.ndarray
        Estimates and 95 % bounds, on the scale the likelihood compares (log for ratios).
    log_scale : numpy.ndarray of bool
        Rows compared on the log scale (risk ratios).
    is_range : numpy.ndarray of bool
        Rows whose interval is a reported range.
    family : numpy.ndarray of int
        Index into :data:`FAMILIES`.
    heterogeneous : numpy.ndarray of bool
        Rows from a single study (between-study heterogeneity added).
    correlation : numpy.ndarray
        ``(rows, rows)`` correlation of the published values (:data:`ROW_CORRELATION` within a
        group of rows of one source sharing an arm).
    group : list of int
        The joint group of each row.
    """

    ids: list
    published: np.ndarray
    low: np.ndarray
    high: np.ndarray
    log_scale: np.ndarray
    is_range: np.ndarray
    family: np.ndarray
    heterogeneous: np.ndarray
    correlation: np.ndarray
    group: list

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Model values on the compared scale (log for ratio rows; NaN where a ratio is not positive)."""
        v = np.array(values, dtype=float, copy=True)
        lg = np.broadcast_to(self.log_scale, v.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            logged = np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), math.nan)
        return np.where(lg, logged, v)


def joint_groups(rows: list[dict]) -> list[int]:
    """Group index of each row: rows of the same source that share an arm (or comparator), joined
    transitively."""
    parent = list(range(len(rows)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(rows):
        arms_a = {a["arm"], a["comparator"]} - {""}
        for j in range(i):
            b = rows[j]
            if a["source"] == b["source"] and arms_a & ({b["arm"], b["comparator"]} - {""}):
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(rows))]
    first = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return [first[r] for r in roots]


def build_terms(rows: list[dict], models) -> Terms:
    """The :class:`Terms` of a condition's fit rows (rows of ``published.csv`` and their
    :class:`~ptsim.analysis.predict.RowModel`; none of them ``not_modelled``)."""
    n = len(rows)
    log_scale = np.array([m.quantity == "ratio" for m in models], dtype=bool)
    est = np.array([float(r["estimate"]) for r in rows])
    low = np.array([float(r["low"]) for r in rows])
    high = np.array([float(r["high"]) for r in rows])
    for i, r in enumerate(rows):
        if log_scale[i] and not (low[i] > 0):
            raise ValueError(
                f"published row {r['id']!r}: a ratio's interval must be positive, got {low[i]:g}"
            )
    with np.errstate(divide="ignore"):
        est = np.where(log_scale, np.log(np.where(log_scale, est, 1.0)), est)
        low = np.where(log_scale, np.log(np.where(log_scale, low, 1.0)), low)
        high = np.where(log_scale, np.log(np.where(log_scale, high, 1.0)), high)
    group = joint_groups(rows)
    corr = np.eye(n)
    for i in range(n):
        for j in range(n):
            if i != j and group[i] == group[j]:
                corr[i, j] = ROW_CORRELATION
    return Terms(
        ids=[r["id"] for r in rows],
        published=est,
        low=low,
        high=high,
        log_scale=log_scale,
        is_range=np.array([r["interval"] == "range reported" for r in rows], dtype=bool),
        family=np.array([FAMILIES.index(_family(m)) for m in models]),
        heterogeneous=np.array([r["design"] == "single" for r in rows], dtype=bool),
        correlation=corr,
        group=group,
    )


def monte_carlo_covariance(replicates: np.ndarray) -> np.ndarray:
    """Covariance across rows of their values on bootstrap resamples of the patients
    (``(resamples, rows)``, on the compared scale); a row with a NaN resample gets its variance over
    the finite ones and no covariance."""
    r = np.asarray(replicates, float)
    finite = np.isfinite(r).all(axis=0)
    cov = np.zeros((r.shape[1], r.shape[1]))
    if r.shape[0] < 2:
        return cov
    ok = np.flatnonzero(finite)
    if ok.size:
        cov[np.ix_(ok, ok)] = np.atleast_2d(np.cov(r[:, ok], rowvar=False))
    for j in np.flatnonzero(~finite):
        col = r[:, j][np.isfinite(r[:, j])]
        cov[j, j] = float(np.var(col, ddof=1)) if col.size >= 2 else 0.0
    return cov


def _nan_penalty() -> float:
    from ptsim.analysis.calibrate import NAN_RESIDUAL

    return -0.5 * (NAN_RESIDUAL * Z95) ** 2


def _mvn_logpdf(d: np.ndarray, cov: np.ndarray) -> float:
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return -math.inf
    z = np.linalg.solve(chol, d)
    return float(-0.5 * z @ z - np.log(np.diag(chol)).sum() - 0.5 * d.size * math.log(2 * math.pi))


def log_likelihood(terms: Terms, values: np.ndarray, nodes: int = QUADRATURE_NODES) -> float:
    """Log-likelihood of the published rows given the model's values.

    Parameters
    ----------
    terms : Terms
    values : numpy.ndarray
        ``(1 + resamples, rows)``: the model's value of each row on the cohort (index 0) and on the
        bootstrap resamples of its patients (:func:`ptsim.analysis.predict.simulate_sets` with
        ``replicates``); a ``(rows,)`` array is read as the cohort alone (no Monte-Carlo error).
    nodes : int
        Quadrature nodes per family over the heterogeneity prior.

    Returns
    -------
    float
        The log-likelihood, with the normalising constants (it is compared across parameter sets
        whose covariances differ).
    """
    v = terms.transform(np.atleast_2d(np.asarray(values, float)))
    x, reps = v[0], v[1:]
    mc = monte_carlo_covariance(reps) if len(reps) >= 2 else np.zeros((x.size, x.size))
    bad = ~np.isfinite(x)
    total = _nan_penalty() * float(bad.sum())
    # ranges: P(population value in [low, high] | model value, its Monte-Carlo error)
    from scipy.special import ndtr

    rng_rows = np.flatnonzero(terms.is_range & ~bad)
    for j in rng_rows:
        width = terms.high[j] - terms.low[j]
        s = max(math.sqrt(max(mc[j, j], 0.0)), 1e-3 * width)
        p = float(ndtr((terms.high[j] - x[j]) / s) - ndtr((terms.low[j] - x[j]) / s))
        total += math.log(max(p, 1e-300))
    use = np.flatnonzero(~terms.is_range & ~bad)
    if use.size == 0:
        return total
    xs, y = x[use], terms.published[use]
    sd = np.where(xs >= y, terms.high[use] - y, y - terms.low[use]) / Z95
    d = xs - y
    corr = terms.correlation[np.ix_(use, use)]
    mc_u = mc[np.ix_(use, use)]
    fam = terms.family[use]
    het = terms.heterogeneous[use]
    grids = [heterogeneity_nodes(f, nodes) for f in FAMILIES]
    logs = []
    for hc, wc in zip(*grids[0], strict=True):
        for hb, wb in zip(*grids[1], strict=True):
            h = np.where(fam == 0, hc, hb) * het
            s = sd * np.sqrt(1.0 + h)
            logs.append(_mvn_logpdf(d, corr * np.outer(s, s) + mc_u) + math.log(wc * wb))
    logs_a = np.array(logs)
    top = logs_a.max()
    if not math.isfinite(top):
        return -math.inf
    return total + float(top + math.log(np.exp(logs_a - top).sum()))


def predictive_sd(terms: Terms, values: np.ndarray) -> np.ndarray:
    """Standard deviation of a new trial's published value around the model's value, per row, on the
    compared scale: the published SD (the side of the model's value; none for a range),
    heterogeneity at the prior median, and the Monte-Carlo error."""
    v = terms.transform(np.atleast_2d(np.asarray(values, float)))
    x = v[0]
    mc = np.diag(monte_carlo_covariance(v[1:])) if len(v) > 2 else np.zeros(x.size)
    sd = np.where(x >= terms.published, terms.high - terms.published, terms.published - terms.low) / Z95
    sd = np.where(terms.is_range, 0.0, sd)  # a range is the population value's, not a study's scatter
    h = np.array([_median_h(FAMILIES[f]) for f in terms.family]) * terms.heterogeneous
    return np.sqrt(sd**2 * (1.0 + h) + mc)


def _median_h(family: str) -> float:
    med = HETEROGENEITY_PRIOR[family][0]
    return med / (1.0 - med)

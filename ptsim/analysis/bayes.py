"""Bayesian calibration: a posterior ensemble of parameter sets per condition, sampled with emcee.

Where :func:`ptsim.analysis.calibrate.fit` finds one best parameter set, this module keeps every
parameter set the evidence allows, weighted by how well it reproduces the published results:

- **Prior**: uniform over each free parameter's documented range (the bounds in
  ``data/evidence/calibration.toml``, themselves inside ``ptsim.core.parameters``' ranges).
- **Likelihood**: each published result is read as a normal distribution on the scale its source
  reports, centred on the published value, with the standard deviation its 95 % interval implies
  (half-width / 1.96; the half on the side of the simulated value, so an asymmetric interval is
  respected). The simulated value uses a fixed virtual cohort and seed (common random numbers), so
  the likelihood is a deterministic function of the parameters.
- **Sampler**: ``emcee``'s affine-invariant ensemble sampler (Foreman-Mackey et al. 2013) on the
  parameters rescaled to [0, 1], seeded, with its progress bar.
- **Diagnostics**: mean acceptance fraction, the integrated autocorrelation time of each parameter
  (emcee) and the effective sample size it implies; with arviz installed also its bulk ESS and R-hat
  (walkers read as chains).

The evidence (:func:`target_source`) is by default the ``fit`` rows of ``data/evidence/published.csv``,
each simulated on the scale its source reports by :mod:`ptsim.analysis.predict` (rows the model cannot
express are ``not_modelled`` and stay out of the likelihood); ``targets="v1"`` fits the calibration
rows of ``targets.csv`` as before.

``python -m ptsim.analysis.bayes knee_oa --processes 2`` samples a condition with its
:data:`RECOMMENDED_SETTINGS` (10-30 min on 2 cores depending on load; emcee's progress bar shows
it) and writes its ensemble to ``data/ensembles/`` (:mod:`ptsim.inputs.ensembles` reads it) with
the command, seed, settings, the evidence source, diagnostics, the SHA-256 of the files it read, and
predictive summaries that :func:`check_ensemble` recomputes (CI does, without sampling).
``python -m ptsim.analysis.bayes --report [condition]`` prints the evidence report: the posterior
predictive check of every row (:func:`evidence_report`).
"""

from __future__ import annotations

import datetime
import math
import sys
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy.special import gammaln, logsumexp

from ptsim.analysis.calibrate import (
    DEFAULT_SEED,
    Target,
    calibrated_dir,
    evidence_dir,
    free_parameters,
    get_value,
    load_arms,
    load_targets,
    population_priors,
    simulate_targets,
    standardized_residual,
    with_values,
)
from ptsim.analysis.predict import RowModel
from ptsim.inputs.conditions import Condition, load_condition
from ptsim.inputs.ensembles import (
    Ensemble,
    ensembles_dir,
    load_ensemble,
    sha256_file,
    spaced_members,
)

TARGET_SOURCES = ("published", "v1")
"""Evidence a fit can read: ``published`` (``data/evidence/published.csv`` through
:mod:`ptsim.analysis.predict`, rows of role ``fit``; the default) or ``v1`` (``targets.csv`` through
:func:`ptsim.analysis.calibrate.simulate_targets`, rows of use ``calibration``)."""

Z95 = 1.959963984540054
"""The standard-normal quantile of a two-sided 95 % interval."""

UNIDENTIFIED_SD_RATIO = 0.8
"""A parameter whose posterior SD is above this share of its prior SD is reported as unidentified
(the evidence barely narrows it)."""


@dataclass(frozen=True)
class SamplerSettings:
    """How a posterior is sampled.

    Attributes
    ----------
    n_walkers : int
        emcee walkers (>= 2 x the number of free parameters).
    n_steps : int
        Steps per walker.
    burn_in : int
        First steps of every walker discarded.
    thin : int
        Keep every ``thin``-th step after the burn-in.
    n_patients : int
        Virtual patients per arm in each likelihood evaluation.
    seed : int
        Seed of the cohort, the model's random draws and the sampler.
    start_spread : float
        Walkers start at the starting point plus uniform noise of this share of each parameter's
        range (clipped into the range).
    polish_evaluations : int
        Before the walkers start, a Nelder-Mead search of the log-posterior from the condition's
        current values, of at most this many likelihood evaluations, moves the starting point to a
        region of high posterior (0: start at the current values). It shortens the burn-in when the
        current values are far from the evidence; the kept draws still come from emcee alone.
    engine : str
        The simulation engine (``"auto"``: the compiled kernel when it runs the case; the numbers
        agree to ~1e-15 relative, see ``docs/performance.md``).
    replicates : int
        Bootstrap resamples of the virtual patients whose spread is each row's Monte-Carlo error in
        the likelihood (:mod:`ptsim.analysis.likelihood`; 0: none, the v2 likelihood's exact rows).
    moves : {"de", "stretch", "de-then-independence", "de-then-mixture"}
        emcee's proposal: ``"de"`` a mixture of differential-evolution moves (80 % ``DEMove``, 20 %
        ``DESnookerMove``: shorter autocorrelation on correlated posteriors, ter Braak & Vrugt 2008),
        ``"stretch"`` emcee's default stretch move (the v2 ensembles); ``"de-then-independence"``:
        ``pilot_steps`` of ``"de"``, then a fixed Metropolis-Hastings kernel under which every walker
        is an independent chain (so that R-hat across walkers means what it says): 75 % independence
        proposals from a multivariate Student-t fitted to the pilot's second half (:class:`_TProposal`),
        25 % Gaussian random-walk steps with the pilot's covariance scaled by 2.38^2 / d
        (``emcee.moves.GaussianMove``). Only draws of the second stage are kept.
        ``"de-then-mixture"`` (calibration v3's recommended settings): the same stages with a mixture of
        Student-t proposals chosen by held-out acceptance rate (:func:`fit_mixture_proposal`).
    pilot_steps, adapt_steps : int
        Staged moves only: steps of the differential-evolution pilot, then of a first
        independence stage whose draws the final (fixed) proposal is fitted to.
    adapt_rounds : int
        Staged moves only: at most this many adaptation rounds of ``adapt_steps`` steps, each under a
        kernel fitted to the previous round's draws; ``"de-then-mixture"`` stops at the first round
        after which the fitted kernel's estimated acceptance reaches :data:`ADAPTED_ACCEPTANCE`. A
        finished posterior records the rounds it ran.
    final_walkers : int
        Staged moves only: walkers that go on into the final stage (the first ones of stage 2; 0: all).
        Under the fixed kernel every walker is an independent chain, and split R-hat - 1 shrinks with
        each chain's length, about ``tau / n`` for ``n`` kept steps of autocorrelation time ``tau``,
        not with their number; so a few long chains reach the R-hat gate at a fraction of the cost of
        many (the differential-evolution pilot needs its many walkers, the final stage does not).
    until_converged : bool
        Run in blocks of ``check_every`` steps up to ``n_steps`` and stop at the first block end where
        the second half of the steps passes the convergence gates (:func:`convergence_problems`); the
        first half is then the burn-in. Deterministic: the stopping rule reads the draws only.
    check_every : int
        Steps between convergence checks (with ``until_converged``).
    """

    n_walkers: int = 24
    n_steps: int = 300
    burn_in: int = 100
    thin: int = 5
    n_patients: int = 100
    seed: int = DEFAULT_SEED
    start_spread: float = 0.1
    engine: str = "auto"
    polish_evaluations: int = 0
    replicates: int = 32
    moves: str = "stretch"
    pilot_steps: int = 0
    adapt_steps: int = 200
    adapt_rounds: int = 1
    final_walkers: int = 0
    until_converged: bool = False
    check_every: int = 100

    def check(self, n_parameters: int) -> None:
        if not (isinstance(self.replicates, int) and self.replicates >= 0):
            raise ValueError(f"replicates must be a whole number >= 0, got {self.replicates!r}")
        for name in ("n_walkers", "n_steps", "thin", "n_patients"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if not (isinstance(self.burn_in, int) and 0 <= self.burn_in < self.n_steps):
            raise ValueError(f"burn_in must be a whole number in [0, n_steps), got {self.burn_in!r}")
        if self.n_walkers < 2 * n_parameters:
            raise ValueError(
                f"n_walkers must be at least twice the {n_parameters} free parameters, got {self.n_walkers}"
            )
        if not (isinstance(self.seed, int) and 0 <= self.seed < 2**32):
            raise ValueError(f"seed must be a whole number in [0, 2**32), got {self.seed!r}")
        if not (isinstance(self.polish_evaluations, int) and self.polish_evaluations >= 0):
            raise ValueError(
                f"polish_evaluations must be a whole number >= 0, got {self.polish_evaluations!r}"
            )
        if not (0 < self.start_spread <= 1):
            raise ValueError(f"start_spread must be in (0, 1], got {self.start_spread!r}")
        if self.moves not in MOVES:
            raise ValueError(f"moves must be one of {', '.join(MOVES)}, got {self.moves!r}")
        if not (isinstance(self.pilot_steps, int) and self.pilot_steps >= 0):
            raise ValueError(f"pilot_steps must be a whole number >= 0, got {self.pilot_steps!r}")
        if not (isinstance(self.adapt_rounds, int) and self.adapt_rounds >= 1):
            raise ValueError(f"adapt_rounds must be a whole number >= 1, got {self.adapt_rounds!r}")
        if not (isinstance(self.adapt_steps, int) and self.adapt_steps >= 1):
            raise ValueError(f"adapt_steps must be a whole number >= 1, got {self.adapt_steps!r}")
        if self.moves in STAGED_MOVES and not (
            20 <= self.pilot_steps < self.n_steps - self.adapt_steps * self.adapt_rounds
        ):
            raise ValueError(
                "pilot_steps must be in [20, n_steps - adapt_steps x adapt_rounds) for "
                f"moves={self.moves!r}, got {self.pilot_steps!r}"
            )
        if not (isinstance(self.final_walkers, int) and (self.final_walkers == 0 or 2 <= self.final_walkers)):
            raise ValueError(f"final_walkers must be 0 or a whole number >= 2, got {self.final_walkers!r}")
        if self.final_walkers > self.n_walkers or (self.final_walkers and self.moves not in STAGED_MOVES):
            raise ValueError(
                f"final_walkers ({self.final_walkers}) must be at most n_walkers ({self.n_walkers}), "
                f"and is for moves {' or '.join(STAGED_MOVES)} only (0 for moves {self.moves!r})"
            )
        if not (isinstance(self.check_every, int) and self.check_every >= 10):
            raise ValueError(f"check_every must be a whole number >= 10, got {self.check_every!r}")
        if self.engine not in ("auto", "numpy", "numba"):
            raise ValueError(f"engine must be one of 'auto', 'numpy', 'numba', got {self.engine!r}")

    @property
    def kept_walkers(self) -> int:
        """Walkers whose draws are kept (``final_walkers``, else all)."""
        return self.final_walkers or self.n_walkers

    @property
    def evaluations(self) -> int:
        """Likelihood evaluations the settings cost (the polish's included)."""
        staged = self.pilot_steps + self.adapt_steps * self.adapt_rounds if self.moves in STAGED_MOVES else 0
        return self.n_walkers * staged + self.kept_walkers * (self.n_steps - staged) + self.polish_evaluations

    @property
    def n_kept(self) -> int:
        """Parameter sets kept after burn-in and thinning."""
        return self.kept_walkers * len(range(self.burn_in, self.n_steps, self.thin))


RECOMMENDED_SETTINGS = {
    condition: SamplerSettings(
        n_walkers=walkers,
        n_steps=pilot + 200 + final,
        burn_in=pilot,
        thin=thin,
        n_patients=100,
        polish_evaluations=200,
        moves="de-then-mixture",
        pilot_steps=pilot,
        adapt_steps=200,
        adapt_rounds=5,
        final_walkers=8,
        until_converged=True,
        check_every=200,
    )
    for condition, walkers, pilot, thin, final in (
        ("knee_oa", 32, 500, 4, 17_300),
        ("chronic_neck_pain", 20, 300, 2, 10_000),
        ("low_back_pain", 20, 300, 2, 10_000),
        ("subacromial_pain", 16, 300, 2, 10_000),
        ("adhesive_capsulitis", 16, 300, 2, 10_000),
        ("hip_oa", 24, 300, 2, 10_000),
    )
}
"""Settings for ``python -m ptsim.analysis.bayes <condition> --processes 2`` (calibration v3): a
differential-evolution pilot with walkers at least twice the free parameters (15, 10, 9, 7, 8, 11), 200
steps of independence Metropolis-Hastings (a mixture of Student-t proposals,
:func:`fit_mixture_proposal`) whose draws the final proposal is fitted to, then 8 of the walkers under
that fixed kernel for at most 10,000 steps (knee OA 17,300: its autocorrelation time is about 50 steps
and the first 7,400 were not enough), stopping at the first 200-step check where the second half
passes the convergence gates (8 long chains reach R-hat <= 1.01 at a quarter of the cost of 32 of the
same length: ``final_walkers``). One likelihood evaluation at 100 patients took 0.04-0.05 CPU-s for
knee OA on a quiet machine (2026-12-07); the steps each condition needed and the time they took are in
its ensemble file (``[sampler]``, ``[diagnostics]``) and in ``docs/calibration.md``."""


def log_likelihood(simulated, targets: list[Target]) -> float:
    """Log-likelihood of simulated target values given the published results (up to a constant).

    Each target contributes ``-z**2 / 2`` with ``z`` the distance from the published value in
    standard deviations implied by its 95 % interval; an undefined simulated value counts as a
    distance of ``ptsim.analysis.calibrate.NAN_RESIDUAL`` half-intervals.
    """
    z = np.array([standardized_residual(s, t) for s, t in zip(simulated, targets, strict=True)]) * Z95
    return float(-0.5 * np.sum(z**2))


def fit_targets(condition: Condition) -> list[Target]:
    """The v1 targets of a condition that a fit uses (``use == "calibration"`` in ``targets.csv``)."""
    arms = load_arms()
    return [t for t in load_targets(arms=arms) if t.condition == condition.name and t.use == "calibration"]


# ---------------------------------------------------------------------------------------------------
# where the evidence comes from: published.csv (v2) or targets.csv (v1)


@dataclass(frozen=True, eq=False)
class PublishedTarget:
    """One row of ``published.csv`` as a term of the likelihood and a row of the predictive check.

    Attributes
    ----------
    id, role : str
        The row's id and role (``fit`` or ``held_out``).
    published, low, high : float
        The estimate and its 95 % interval, on the row's instrument.
    model : RowModel
        How the model expresses the row (:func:`ptsim.analysis.predict.row_model`); a row it cannot
        express has ``model.not_modelled`` set and is never in the likelihood.
    row : dict
        The row as read.
    """

    id: str
    role: str
    published: float
    low: float
    high: float
    model: RowModel
    row: dict

    @property
    def tolerance(self) -> float:
        """Half the width of the published interval, on the row's instrument."""
        return (self.high - self.low) / 2.0


class PublishedTargets:
    """Evidence v2: rows of ``published.csv`` (or another file in its format, or a table of its rows),
    simulated by :func:`ptsim.analysis.predict.simulate_rows`."""

    name = "published"

    def __init__(self, rows=None, path=None):
        from ptsim.analysis.evidence import published_targets

        self.path = Path(path) if path is not None else evidence_dir() / "published.csv"
        self.frame = published_targets(path=self.path) if rows is None else rows.reset_index(drop=True)
        self.subset = rows is not None  # a table of some rows: recorded by their ids
        self.arms = load_arms()

    def targets(self, cond: Condition, role: str | None = None) -> list[PublishedTarget]:
        """The condition's rows (of one role, or all), each with its :class:`RowModel`.

        Raises
        ------
        ValueError
            A row the model cannot read (e.g. a questionnaire the condition does not have).
        """
        from ptsim.analysis.predict import row_model

        rows = self.frame[self.frame["condition"] == cond.name]
        if role is not None:
            rows = rows[rows["role"] == role]
        out = []
        for _, r in rows.iterrows():
            d = r.to_dict()
            out.append(
                PublishedTarget(
                    d["id"],
                    d["role"],
                    float(d["estimate"]),
                    float(d["low"]),
                    float(d["high"]),
                    row_model(d, cond),
                    d,
                )
            )
        return out

    def fit_targets(self, cond: Condition) -> list[PublishedTarget]:
        """The rows a fit uses: role ``fit`` and expressible by the model."""
        return [t for t in self.targets(cond, "fit") if not t.model.not_modelled]

    def simulate(self, cond: Condition, targets, n_patients: int, seed: int, engine: str) -> np.ndarray:
        from ptsim.analysis.predict import simulate_rows

        rows, models = [t.row for t in targets], [t.model for t in targets]
        return simulate_rows(cond, rows, n_patients, seed, self.arms, engine, models)

    def files(self) -> dict[str, Path]:
        ev = evidence_dir()
        return {"published": self.path, "instruments": ev / "instruments.csv", "arms": ev / "arms.toml"}

    @staticmethod
    def describe(t: PublishedTarget) -> dict:
        m = t.model
        return {
            "role": t.role,
            "status": "not_modelled" if m.not_modelled else "modelled",
            "quantity": m.quantity,
            "instrument": m.instrument,
            "mapping": m.not_modelled or m.description,
        }


class V1Targets:
    """Evidence v1: ``targets.csv`` rows, simulated by :func:`ptsim.analysis.calibrate.simulate_targets`."""

    name = "v1"

    def __init__(self):
        self.arms = load_arms()
        self.all = load_targets(arms=self.arms)

    def targets(self, cond: Condition, role: str | None = None) -> list[Target]:
        return [t for t in self.all if t.condition == cond.name and (role is None or t.use == role)]

    def fit_targets(self, cond: Condition) -> list[Target]:
        return self.targets(cond, "calibration")

    def simulate(self, cond: Condition, targets, n_patients: int, seed: int, engine: str) -> np.ndarray:
        return simulate_targets(cond, targets, n_patients, seed, self.arms)

    def files(self) -> dict[str, Path]:
        ev = evidence_dir()
        return {"targets": ev / "targets.csv", "arms": ev / "arms.toml"}

    @staticmethod
    def describe(t: Target) -> dict:
        return {
            "role": t.use,
            "status": "modelled",
            "quantity": t.statistic,
            "instrument": t.unit,
            "mapping": t.model_quantity,
        }


def target_source(targets="published"):
    """The evidence a fit or a check reads.

    Parameters
    ----------
    targets : str, Path, pandas.DataFrame or source object
        ``"published"`` (default) or ``"v1"`` (:data:`TARGET_SOURCES`); ``"published:<id>,<id>,..."``
        (those rows of ``published.csv``); a path to a CSV file in the format of ``published.csv``; a
        table of rows of ``published.csv`` (e.g. ``published_targets(...)`` filtered: recorded by their
        ids); or a :class:`PublishedTargets` / :class:`V1Targets` as is.

    Raises
    ------
    ValueError, FileNotFoundError
        An unknown name or a file that cannot be read (the message names it).
    """
    if isinstance(targets, PublishedTargets | V1Targets):
        return targets
    if hasattr(targets, "iterrows"):
        return PublishedTargets(rows=targets)
    if isinstance(targets, str) and targets in TARGET_SOURCES:
        return PublishedTargets() if targets == "published" else V1Targets()
    if isinstance(targets, str) and targets.startswith("published:"):
        from ptsim.analysis.evidence import published_targets

        ids = [i.strip() for i in targets.split(":", 1)[1].split(",") if i.strip()]
        frame = published_targets()
        unknown = [i for i in ids if i not in set(frame["id"])]
        if not ids or unknown:
            raise ValueError(
                f"targets: 'published:<id>,<id>,...' must name rows of published.csv; unknown: "
                f"{', '.join(unknown) or '(none given)'}"
            )
        return PublishedTargets(rows=frame.set_index("id").loc[ids].reset_index())
    if isinstance(targets, str | Path) and str(targets).endswith(".csv"):
        return PublishedTargets(path=targets)
    raise ValueError(
        f"targets must be one of {', '.join(TARGET_SOURCES)}, a .csv file in the format of published.csv, "
        f"or a table of its rows; got {targets!r}"
    )


class _LogPosterior:
    """log p(u | evidence) on the unit cube (a picklable callable, so a process pool can run it).

    With the published evidence it is calibration v3's likelihood (:mod:`ptsim.analysis.likelihood`):
    the rows' arms are prepared once (:func:`ptsim.analysis.predict.prepare_rows`) and a batch of
    points is simulated as one cohort (:meth:`batch`, emcee's ``vectorize``)."""

    def __init__(
        self,
        cond: Condition,
        names,
        low,
        high,
        source,
        targets,
        n_patients,
        seed,
        engine="auto",
        replicates=0,
        priors=None,
    ):
        self.cond, self.names, self.low, self.high = cond, list(names), low, high
        # the population priors of the free parameters that have one (the others: uniform over bounds)
        self.priors = [(j, priors[k]) for j, k in enumerate(self.names) if priors and k in priors]
        self.source, self.targets = source, targets
        self.n_patients, self.seed, self.engine = n_patients, seed, engine
        self.prep = self.terms = None
        if isinstance(source, PublishedTargets):
            from ptsim.analysis.likelihood import build_terms
            from ptsim.analysis.predict import prepare_rows

            rows, models = [t.row for t in targets], [t.model for t in targets]
            bounds = {k: (float(a), float(b)) for k, a, b in zip(self.names, low, high, strict=True)}
            self.prep = prepare_rows(cond, rows, n_patients, seed, source.arms, models, replicates, bounds)
            self.terms = build_terms(rows, models)

    def values(self, u) -> dict[str, float]:
        x = self.low + np.asarray(u, dtype=float) * (self.high - self.low)
        return dict(zip(self.names, x.tolist(), strict=True))

    def log_prior(self, u) -> float:
        """Log prior density of a point of the unit cube (inside it), up to a constant: the sum of the
        population priors (truncated to the bounds, a constant) of the parameters that have one."""
        x = self.low + np.asarray(u, dtype=float) * (self.high - self.low)
        return float(sum(prior.log_density(float(x[j])) for j, prior in self.priors))

    def batch(self, u) -> np.ndarray:
        """log p of each row of ``u`` (``(points, parameters)``), the points simulated as one batch."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        out = np.full(len(u), -math.inf)  # outside the documented ranges: prior zero
        inside = np.flatnonzero(np.all((u >= 0.0) & (u <= 1.0), axis=1))
        if inside.size == 0:
            return out
        out[inside] = self._log_likelihoods(u, inside) + np.array([self.log_prior(u[i]) for i in inside])
        return out

    def _log_likelihoods(self, u, inside) -> np.ndarray:
        out = np.empty(inside.size)
        if self.prep is None or self.terms is None:  # v1 evidence: one point at a time
            for k, i in enumerate(inside):
                cond = with_values(self.cond, self.values(u[i]))
                sims = self.source.simulate(cond, self.targets, self.n_patients, self.seed, self.engine)
                out[k] = log_likelihood(sims, self.targets)
            return out
        from ptsim.analysis.likelihood import log_likelihood as trial_log_likelihood
        from ptsim.analysis.predict import simulate_sets

        sims = simulate_sets(self.prep, [self.values(u[i]) for i in inside], self.engine, replicates=True)
        out[:] = [trial_log_likelihood(self.terms, s) for s in sims]
        return out

    def __call__(self, u) -> float:
        return float(self.batch(np.asarray(u, dtype=float)[None, :])[0])


@dataclass
class Posterior:
    """The sampler's output for one condition.

    Attributes
    ----------
    condition : str
    names : list of str
        Free parameters, in column order.
    low, high : numpy.ndarray
        Their documented ranges (the uniform prior).
    chain : numpy.ndarray
        ``(n_steps, n_walkers, n_parameters)`` parameter values (natural units).
    log_probability : numpy.ndarray
        ``(n_steps, n_walkers)``.
    acceptance : float
        Mean acceptance fraction of the walkers.
    settings : SamplerSettings
    targets : list of str
        Ids of the evidence rows in the likelihood.
    target_source : str
        Where they come from (:data:`TARGET_SOURCES`, or the path of a file in published.csv's format).
    """

    condition: str
    names: list[str]
    low: np.ndarray
    high: np.ndarray
    chain: np.ndarray
    log_probability: np.ndarray
    acceptance: float
    settings: SamplerSettings
    targets: list[str]
    target_source: str = "published"
    start: dict[str, float] | None = None

    def kept(self) -> tuple[np.ndarray, np.ndarray]:
        """Parameter sets and their log-probabilities after burn-in and thinning (flattened, step-major:
        all walkers of a kept step, then the next step)."""
        s = self.settings
        x = self.chain[s.burn_in :: s.thin].reshape(-1, len(self.names))
        lp = self.log_probability[s.burn_in :: s.thin].reshape(-1)
        return x, lp

    def kept_indices(self) -> tuple[np.ndarray, np.ndarray]:
        """The chain (walker) and draw (step) index of each kept parameter set, in :meth:`kept`'s order."""
        s = self.settings
        steps = np.arange(self.chain.shape[0])[s.burn_in :: s.thin]
        walkers = self.chain.shape[1]
        return np.tile(np.arange(walkers), steps.size), np.repeat(steps, walkers)

    def autocorrelation_days(self) -> np.ndarray:
        """Integrated autocorrelation time of each parameter, in steps (emcee's estimate, tol=0)."""
        import emcee

        return np.atleast_1d(emcee.autocorr.integrated_time(self.chain[self.settings.burn_in :], tol=0))

    def diagnostics(self) -> dict[str, dict[str, float] | float]:
        """Acceptance, emcee's autocorrelation time, and arviz's rank-normalised split R-hat and bulk
        and tail effective sample sizes of the kept draws (:func:`convergence`, walkers as chains)."""
        tau = self.autocorrelation_days()
        out: dict[str, dict[str, float] | float] = {
            "acceptance_fraction": float(self.acceptance),
            "autocorrelation_steps": dict(zip(self.names, map(float, tau), strict=True)),
        }
        out.update(chain_convergence(self.chain, self.names, self.settings.burn_in, self.settings.thin))
        return out


MOVE_NAMES = {
    "stretch": "stretch move",
    "de": "differential-evolution moves",
    "de-then-independence": "differential-evolution pilot, then independence Metropolis-Hastings with "
    "a Student-t proposal fitted to the pilot and Gaussian random-walk steps",
    "de-then-mixture": "differential-evolution pilot, then independence Metropolis-Hastings with a "
    "mixture of Student-t proposals fitted to the earlier draws (components, degrees of freedom and "
    "scale chosen by held-out acceptance rate) and Gaussian random-walk steps",
}
"""The samplers' proposals (:class:`SamplerSettings` ``moves``), with what each is."""
MOVES = tuple(MOVE_NAMES)

RHAT_MAX = 1.01
"""Largest rank-normalised split R-hat a converged ensemble may have, per parameter (Vehtari et al. 2021)."""
ESS_MIN = 400
"""Smallest bulk and tail effective sample size a converged ensemble may have, per parameter."""


def convergence(values: dict[str, np.ndarray], chain, draw) -> dict[str, dict[str, float]]:
    """Rank-normalised split R-hat and bulk and tail ESS of each parameter (arviz), from members with
    their chain and draw indices (each chain must have the same draws).

    Returns
    -------
    dict
        ``{"rhat": {name: value}, "ess_bulk": {...}, "ess_tail": {...}}``.
    """
    import arviz as az

    chain, draw = np.asarray(chain, dtype=np.int64), np.asarray(draw, dtype=np.int64)
    chains, draws = np.unique(chain), np.unique(draw)
    if chain.size != chains.size * draws.size:
        raise ValueError(
            f"chain/draw indices must form a full grid: {chain.size} members for {chains.size} chains x "
            f"{draws.size} draws"
        )
    order = np.lexsort((draw, chain))
    grid = {k: np.asarray(v, float)[order].reshape(chains.size, draws.size) for k, v in values.items()}
    with warnings.catch_warnings():  # (arviz warns when there are more chains than draws: still valid)
        warnings.simplefilter("ignore", UserWarning)
        data = az.convert_to_dataset(grid)
    rhat, bulk, tail = az.rhat(data, method="rank"), az.ess(data, method="bulk"), az.ess(data, method="tail")
    return {
        "rhat": {k: float(rhat[k]) for k in values},
        "ess_bulk": {k: float(bulk[k]) for k in values},
        "ess_tail": {k: float(tail[k]) for k in values},
    }


def chain_convergence(chain: np.ndarray, names, burn_in: int, thin: int) -> dict[str, dict[str, float]]:
    """:func:`convergence` of a sampler's chain ``(steps, walkers, parameters)``: the steps from
    ``burn_in`` on, every ``thin``-th, with the walkers as chains."""
    kept = chain[burn_in::thin]
    steps, walkers = kept.shape[0], kept.shape[1]
    x = kept.reshape(steps * walkers, len(names))
    return convergence(
        {k: x[:, j] for j, k in enumerate(names)},
        np.tile(np.arange(walkers), steps),
        np.repeat(np.arange(steps), walkers),
    )


def convergence_problems(condition: str, diagnostics: dict) -> list[str]:
    """The convergence gates a set of :func:`convergence` diagnostics misses (empty: it passes):
    R-hat <= :data:`RHAT_MAX`, bulk and tail ESS >= :data:`ESS_MIN`, for every parameter."""
    problems = []
    for name, r in diagnostics["rhat"].items():
        if not r <= RHAT_MAX:
            problems.append(f"{condition}: {name}: R-hat {r:.3f} > {RHAT_MAX}")
    for kind in ("ess_bulk", "ess_tail"):
        for name, e in diagnostics[kind].items():
            if not e >= ESS_MIN:
                problems.append(f"{condition}: {name}: {kind.replace('_', ' ')} {e:.0f} < {ESS_MIN}")
    return problems


def sample(
    condition,
    settings: SamplerSettings | None = None,
    progress: bool = True,
    processes: int = 1,
    targets="published",
) -> Posterior:
    """Sample a condition's posterior with emcee (nothing is written).

    Parameters
    ----------
    condition : str or Condition
    settings : SamplerSettings, optional
    progress : bool
        Show emcee's progress bar (tqdm).
    processes : int
        Worker processes that share each batch of proposals (1: this process); the numbers do not
        depend on it.
    targets : str, Path or pandas.DataFrame
        The evidence (:func:`target_source`): by default the ``fit`` rows of ``published.csv`` that the
        model can express (``not_modelled`` rows are left out of the likelihood and reported by
        :func:`predictive`); ``"v1"`` for the calibration rows of ``targets.csv``.

    Raises
    ------
    ValueError
        Bad settings, a condition without free parameters or fit rows, or a row the model cannot read.
    """
    import emcee

    cond = load_condition(condition)
    settings = settings or SamplerSettings()
    bounds = free_parameters(cond.name)
    if not bounds:
        raise ValueError(f"condition {cond.name!r} has no free parameters in data/evidence/calibration.toml")
    names = list(bounds)
    settings.check(len(names))
    source = target_source(targets)
    fit = source.fit_targets(cond)
    if not fit:
        raise ValueError(f"no calibration targets for condition {cond.name!r} in the {source.name} evidence")
    low = np.array([bounds[k][0] for k in names])
    high = np.array([bounds[k][1] for k in names])
    target = _LogPosterior(
        cond,
        names,
        low,
        high,
        source,
        fit,
        settings.n_patients,
        settings.seed,
        settings.engine,
        settings.replicates,
        population_priors(),
    )

    rng = np.random.default_rng(settings.seed)
    centre = np.clip((np.array([get_value(cond, k) for k in names]) - low) / (high - low), 0.0, 1.0)
    if settings.polish_evaluations:
        centre = polish(target, centre, settings.polish_evaluations)
    noise = rng.uniform(-settings.start_spread, settings.start_spread, (settings.n_walkers, len(names)))
    start = np.clip(centre + noise, 1e-6, 1 - 1e-6)

    # every proposal of a half-step simulated as one batch; with worker processes, one chunk of it per
    # worker (the numbers do not depend on the split: each set runs on the same patients and seed)
    workers = None
    if processes > 1:
        from multiprocessing import Pool

        workers = Pool(processes, initializer=_set_worker_target, initargs=(target,))
    log_prob = target.batch if workers is None else _SplitBatch(workers, processes)

    def sampler_with(moves, seed, walkers=settings.n_walkers):
        made = emcee.EnsembleSampler(walkers, len(names), log_prob, vectorize=True, moves=moves)
        made.random_state = np.random.RandomState(seed).get_state()
        return made

    try:
        if settings.moves in STAGED_MOVES:
            # 1. a differential-evolution pilot; 2. independence MH with a proposal fitted to the
            # pilot's second half (adapt_steps); 3. the same with the proposal refitted to stage 2's
            # draws, now fixed, until the gates pass: only stage 3's second half is kept.
            pilot = sampler_with(_moves("de"), settings.seed)
            state = pilot.run_mcmc(start, settings.pilot_steps, progress=progress)
            half = settings.pilot_steps // 2
            kernel = _staged_kernel(settings.moves, settings.seed, cond.name, progress)
            stages = [pilot]
            reseat = np.random.default_rng(settings.seed + 3)
            draws, state, strays = _settled(
                pilot.get_chain()[half:], pilot.get_log_prob()[half:], state, reseat
            )
            # adaptation rounds: until the kernel fitted to the last round's draws would accept enough
            # (the pilot may not have reached the posterior's bulk, so a round can still be climbing)
            for round_ in range(settings.adapt_rounds):
                moves, _ = kernel(*draws)
                adapt = sampler_with(moves, settings.seed + 1 if round_ == 0 else settings.seed + 10 + round_)
                state = adapt.run_mcmc(state, settings.adapt_steps, progress=progress)
                stages.append(adapt)
                if progress and strays:
                    print(f"{cond.name}: {strays} stray walkers moved to others' positions", file=sys.stderr)
                draws, state, strays = _settled(adapt.get_chain(), adapt.get_log_prob(), state, reseat)
                final, choice = kernel(*draws)
                if choice is None or choice["acceptance"] >= ADAPTED_ACCEPTANCE:
                    break
            rounds = len(stages) - 1
            # the final stage goes on with the first kept_walkers walkers (their own history before it)
            k = settings.kept_walkers
            state = emcee.State(state.coords[:k], log_prob=state.log_prob[:k])
            sampler = sampler_with(final, settings.seed + 2, walkers=k)
            before = settings.pilot_steps + rounds * settings.adapt_steps
            # fewer walkers than parameters are fine here: each moves on its own (no ensemble move)
            done = _run(
                sampler,
                state,
                settings,
                names,
                cond.name,
                progress,
                settings.n_steps - before,
                skip_initial_state_check=True,
            )
            unit_chain = np.concatenate([*(st.get_chain()[:, :k] for st in stages), sampler.get_chain()])
            log_probability = np.concatenate(
                [*(st.get_log_prob()[:, :k] for st in stages), sampler.get_log_prob()]
            )
            settings = replace(
                settings, adapt_rounds=rounds, n_steps=before + done, burn_in=before + done // 2
            )
        else:
            sampler = sampler_with(_moves(settings.moves), settings.seed)
            done = _run(sampler, start, settings, names, cond.name, progress, settings.n_steps)
            if settings.until_converged:
                settings = replace(settings, n_steps=done, burn_in=done // 2)
            unit_chain, log_probability = sampler.get_chain(), sampler.get_log_prob()
    finally:
        if workers is not None:
            workers.terminate()
    return Posterior(
        condition=cond.name,
        names=names,
        low=low,
        high=high,
        chain=low + unit_chain * (high - low),
        log_probability=log_probability,
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        settings=settings,
        targets=[t.id for t in fit],
        target_source=_source_label(source),
        start=target.values(centre),
    )


STAGED_MOVES = ("de-then-independence", "de-then-mixture")
ADAPTED_ACCEPTANCE = 0.2
"""Estimated acceptance rate (:func:`independence_acceptance`) at which the adaptation rounds of moves
``"de-then-mixture"`` stop: the kernel fitted to the last round's draws is then fixed for the final
stage (a round still climbing towards the posterior's bulk gives a far lower estimate: knee OA's first
round, 0.03)."""
"""Moves that run a differential-evolution pilot, then two stages of a fixed independence kernel."""


STRAY_PROBABILITY = 1e-3
"""A walker whose median log-posterior over a stage lies further below the walkers' median than a draw
of a Gaussian posterior would with this probability (half the chi-square quantiles' difference in the
number of parameters) is stray: left behind where the posterior is negligible."""


def stray_walkers(log_probability: np.ndarray, n_parameters: int) -> np.ndarray:
    """Which walkers of a stage ``(steps, walkers)`` are stray (:data:`STRAY_PROBABILITY`)."""
    from scipy import stats

    typical = np.median(log_probability, axis=0)
    gap = 0.5 * (stats.chi2.ppf(1 - STRAY_PROBABILITY, n_parameters) - stats.chi2.ppf(0.5, n_parameters))
    return typical < np.median(typical) - gap


def _settled(chain: np.ndarray, log_probability: np.ndarray, state, rng):
    """A stage's draws without its stray walkers (:func:`stray_walkers`), for fitting the next kernel,
    and the state with each stray walker moved to the position of a randomly chosen other walker: an
    independence kernel cannot bring back a walker stranded where its proposal is far smaller than the
    posterior, and a stray walker's draws would skew the proposal fitted to them. Before the kept stage
    only: the kept draws come from a fixed kernel started wherever the walkers are."""
    import emcee

    stray = stray_walkers(log_probability, chain.shape[-1])
    if not stray.any():
        return (chain, log_probability), state, 0
    settled = np.flatnonzero(~stray)
    donors = rng.choice(settled, size=int(stray.sum()))
    coords, lp = state.coords.copy(), state.log_prob.copy()
    coords[stray], lp[stray] = coords[donors], lp[donors]
    return (
        (chain[:, settled], log_probability[:, settled]),
        emcee.State(coords, log_prob=lp),
        int(stray.sum()),
    )


def _staged_kernel(kind: str, seed: int, condition: str, progress: bool):
    """The function that fits a staged sampler's kernel to earlier draws ``(chain, log_probability)``:
    it returns the moves and, for ``"de-then-mixture"``, the proposal chosen (else None)."""

    def kernel(chain: np.ndarray, log_probability: np.ndarray):
        if kind == "de-then-independence":
            return _independence_moves(chain.reshape(-1, chain.shape[-1])), None
        moves, choice = _mixture_moves(chain, log_probability, seed)
        if progress:
            print(
                f"{condition}: proposal of {choice['components']} Student-t components (df {choice['df']:g}, "
                f"scale {choice['scale']:g}), held-out acceptance rate {choice['acceptance']:.2f}",
                file=sys.stderr,
                flush=True,
            )
        return moves, choice

    return kernel


def _moves(kind: str):
    import emcee

    if kind == "de":
        return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    return None  # emcee's stretch move


_WORKER_TARGET: list = []


def _set_worker_target(target) -> None:
    _WORKER_TARGET[:] = [target]


def _worker_batch(u) -> np.ndarray:
    return _WORKER_TARGET[0].batch(u)


class _SplitBatch:
    """A batch log-probability evaluated by ``processes`` worker processes, one chunk of the points
    each; the workers receive the log-posterior once, when they start (:func:`_set_worker_target`)."""

    def __init__(self, pool, processes: int):
        self.pool, self.processes = pool, processes

    def __call__(self, u) -> np.ndarray:
        chunks = [c for c in np.array_split(np.atleast_2d(u), self.processes) if len(c)]
        return np.concatenate(self.pool.map(_worker_batch, chunks))


class _TProposal:
    """An independence proposal for emcee's ``MHMove`` on the unit cube: a multivariate Student-t with
    ``df`` degrees of freedom in logit coordinates, centred on the pilot draws' mean there, with their
    covariance inflated by ``scale**2`` (heavier tails than the posterior, so that the importance ratio
    stays bounded). In logit coordinates a posterior piled against a bound is closer to normal."""

    def __init__(self, draws: np.ndarray, df: float = 5.0, scale: float = 1.2):
        z = _logit(draws)
        d = z.shape[1]
        cov = np.cov(z, rowvar=False).reshape(d, d) * scale**2 + 1e-8 * np.eye(d)
        self.mean, self.df = z.mean(axis=0), df
        self.chol = np.linalg.cholesky(cov)
        self.inverse = np.linalg.inv(cov)

    def log_density(self, u: np.ndarray) -> np.ndarray:
        """Log density on the unit cube up to a constant (the t density of ``logit(u)`` times the
        Jacobian ``1 / (u (1 - u))`` of each coordinate)."""
        inside = np.all((u > 0.0) & (u < 1.0), axis=1)
        uu = np.where(inside[:, None], u, 0.5)
        dz = _logit(uu) - self.mean
        m = np.einsum("ij,jk,ik->i", dz, self.inverse, dz)
        out = -0.5 * (self.df + self.mean.size) * np.log1p(m / self.df) - np.log(uu * (1.0 - uu)).sum(axis=1)
        return np.where(inside, out, -np.inf)

    def __call__(self, u0: np.ndarray, random) -> tuple[np.ndarray, np.ndarray]:
        n, d = u0.shape
        z = random.standard_normal((n, d)) @ self.chol.T
        w = random.chisquare(self.df, n) / self.df
        u = 1.0 / (1.0 + np.exp(-(self.mean + z / np.sqrt(w)[:, None])))
        # emcee's factor: ln q(u0 | u) - ln q(u | u0), which for an independence proposal is q(u0) / q(u)
        return u, self.log_density(u0) - self.log_density(u)


class _MixtureProposal:
    """An independence proposal for emcee's ``MHMove`` on the unit cube: a mixture of multivariate
    Student-t densities in logit coordinates (one per component of a Gaussian mixture fitted to earlier
    draws there, each covariance inflated by ``scale**2``). A posterior that is curved or piled against
    a bound is better covered by a few components than by one ellipse, so fewer walkers stick where the
    proposal under-covers it."""

    def __init__(self, weights, means, covariances, df: float, scale: float):
        d = means.shape[1]
        self.weights, self.means, self.df, self.scale = np.asarray(weights), np.asarray(means), df, scale
        self.cumulative = np.cumsum(self.weights)
        covs = np.asarray(covariances) * scale**2 + 1e-8 * np.eye(d)
        self.chols = np.linalg.cholesky(covs)
        self.inverses = np.linalg.inv(covs)
        # log normalising constant of each t component (its weight included)
        self.log_norm = (
            np.log(self.weights)
            + gammaln((df + d) / 2)
            - gammaln(df / 2)
            - d / 2 * np.log(df * np.pi)
            - np.log(np.diagonal(self.chols, axis1=1, axis2=2)).sum(axis=1)
        )

    def log_density_logit(self, z: np.ndarray) -> np.ndarray:
        """Normalised log density of logit coordinates ``z`` (``(n, d)``)."""
        d = self.means.shape[1]
        dz = z[:, None, :] - self.means[None, :, :]
        m = np.einsum("nki,kij,nkj->nk", dz, self.inverses, dz)
        return logsumexp(self.log_norm - 0.5 * (self.df + d) * np.log1p(m / self.df), axis=1)

    def log_density(self, u: np.ndarray) -> np.ndarray:
        """Log density on the unit cube (the logit density times the Jacobian ``1 / (u (1 - u))``)."""
        inside = np.all((u > 0.0) & (u < 1.0), axis=1)
        uu = np.where(inside[:, None], u, 0.5)
        out = self.log_density_logit(_logit(uu)) - np.log(uu * (1.0 - uu)).sum(axis=1)
        return np.where(inside, out, -np.inf)

    def __call__(self, u0: np.ndarray, random) -> tuple[np.ndarray, np.ndarray]:
        n, d = u0.shape
        component = np.minimum(
            np.searchsorted(self.cumulative, random.uniform(0.0, 1.0, n)), len(self.weights) - 1
        )
        z = np.einsum("nij,nj->ni", self.chols[component], random.standard_normal((n, d)))
        w = random.chisquare(self.df, n) / self.df
        u = 1.0 / (1.0 + np.exp(-(self.means[component] + z / np.sqrt(w)[:, None])))
        return u, self.log_density(u0) - self.log_density(u)


MIXTURE_CHOICES = tuple(
    (components, df, scale)
    for components in (1, 2, 3, 4)
    for df, scale in ((5.0, 1.2), (4.0, 1.5), (3.0, 2.0))
)
"""The proposals :func:`fit_mixture_proposal` chooses among: (components, degrees of freedom, scale)."""


def _gaussian_mixture(z: np.ndarray, components: int, seed: int):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(components, covariance_type="full", reg_covar=1e-6, random_state=seed).fit(z)


def independence_acceptance(log_target: np.ndarray, log_proposal: np.ndarray) -> float:
    """The acceptance rate of an independence Metropolis-Hastings sampler at stationarity, estimated
    from draws of the target.

    With normalised densities and ``v = q / pi`` at target draws, the rate is ``E[min(v(x), v(y))]``
    over independent ``x, y ~ pi`` (substitute ``q(y) = pi(y) v(y)`` in its definition). The target's
    normalising constant follows from ``E_pi[v] = 1``; the mean is taken over every pair of draws.
    1 when the proposal is the target; it falls both where the proposal under-covers the target (a walker
    sticks there) and where it is wider than it (proposals land where the target is small). With a few
    thousand draws it reads a few points high (the normalising mean misses the rare draws where the
    proposal is much denser than the target: 0.63 from 4,000 draws against 0.59 exactly for N(0, 1)
    proposed from N(0, 2^2)); candidates are compared on the same draws, so their order is kept.
    """
    lv = np.asarray(log_proposal, float) - np.asarray(log_target, float)
    n = lv.size
    v = np.sort(np.exp(lv - (logsumexp(lv) - np.log(n))))
    # the i-th smallest is the smaller of a pair with each of the n - 1 - i larger ones
    return float(2.0 * np.sum(v * np.arange(n - 1, -1, -1)) / (n * (n - 1)))


def fit_mixture_proposal(chain: np.ndarray, log_probability: np.ndarray, seed: int):
    """Fit the independence proposal of moves ``"de-then-mixture"`` to earlier draws.

    Each candidate of :data:`MIXTURE_CHOICES` is fitted to the first half of the steps and scored by
    :func:`independence_acceptance` on the second half (held-out draws, so more components win only if
    they generalise); the best is refitted to all the draws.

    Parameters
    ----------
    chain : numpy.ndarray
        ``(n_steps, n_walkers, d)`` draws on the unit cube.
    log_probability : numpy.ndarray
        ``(n_steps, n_walkers)`` their log-posterior (on the unit cube).
    seed : int
        The Gaussian mixtures' k-means initialisation.

    Returns
    -------
    (_MixtureProposal, dict)
        The proposal, and the choice with its held-out acceptance rate (``components``, ``df``, ``scale``,
        ``acceptance``).
    """
    steps, walkers, d = chain.shape
    step = np.repeat(np.arange(steps), walkers)
    u = chain.reshape(-1, d)
    lp = log_probability.reshape(-1)
    # a rejected move repeats the walker's point: each distinct point once, or a walker stuck at one
    # point would pull a component onto it (a spike the sampler could never leave)
    _, first_seen = np.unique(u, axis=0, return_index=True)
    distinct = np.zeros(u.shape[0], dtype=bool)
    distinct[first_seen] = True
    keep = distinct & np.isfinite(lp)
    z = _logit(u)
    # the target density in logit coordinates: the Jacobian du/dz = u (1 - u)
    lpz = lp + np.log(np.clip(u * (1.0 - u), 1e-300, None)).sum(axis=1)
    # fitted to the distinct points of the first half, scored on every draw of the second (the chain's
    # repeats are how it represents the posterior)
    first, second = keep & (step < steps // 2), np.isfinite(lp) & (step >= steps // 2)
    scores = [
        independence_acceptance(lpz[second], _mixture(z[first], *c, seed).log_density_logit(z[second]))
        for c in MIXTURE_CHOICES
    ]
    best = int(np.argmax(scores))  # the first of equal scores
    score, (components, df, scale) = scores[best], MIXTURE_CHOICES[best]
    choice = {"components": components, "df": df, "scale": scale, "acceptance": score}
    return _mixture(z[keep], components, df, scale, seed), choice


MIXTURE_SHRINKAGE = 0.1
"""Share of the draws' overall covariance mixed into each component's (no component narrower than a
tenth of the posterior's variance in any direction, so none becomes a spike the independence sampler
cannot leave)."""


def _mixture(z: np.ndarray, components: int, df: float, scale: float, seed: int) -> _MixtureProposal:
    gm = _gaussian_mixture(z, components, seed)
    d = z.shape[1]
    overall = np.cov(z, rowvar=False).reshape(d, d)
    covs = (1 - MIXTURE_SHRINKAGE) * gm.covariances_ + MIXTURE_SHRINKAGE * overall
    return _MixtureProposal(gm.weights_, gm.means_, covs, df, scale)


def _mixture_moves(chain: np.ndarray, log_probability: np.ndarray, seed: int):
    """The kernel of moves ``"de-then-mixture"``: 75 % independence proposals from
    :func:`fit_mixture_proposal`, 25 % Gaussian random-walk steps with the draws' covariance
    x 2.38^2 / d. Both move each walker on its own, so the walkers are independent chains."""
    import emcee

    d = chain.shape[-1]
    proposal, choice = fit_mixture_proposal(chain, log_probability, seed)
    cov = np.cov(chain.reshape(-1, d), rowvar=False).reshape(d, d) + 1e-10 * np.eye(d)
    moves = [
        (emcee.moves.MHMove(proposal), 0.75),
        (emcee.moves.GaussianMove(cov * 2.38**2 / d), 0.25),
    ]
    return moves, choice


def _logit(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 1e-9, 1.0 - 1e-9)
    return np.log(u) - np.log1p(-u)


def _independence_moves(pilot: np.ndarray):
    """The second stage's kernel (moves ``"de-then-independence"``): 75 % independence proposals
    (:class:`_TProposal`), 25 % Gaussian random-walk steps with the pilot's covariance x 2.38^2 / d
    (Gelman, Roberts & Gilks 1996). Both move each walker on its own, so the walkers are independent
    chains under a fixed kernel."""
    import emcee

    d = pilot.shape[1]
    cov = np.cov(pilot, rowvar=False).reshape(d, d) + 1e-10 * np.eye(d)
    return [
        (emcee.moves.MHMove(_TProposal(pilot)), 0.75),
        (emcee.moves.GaussianMove(cov * 2.38**2 / d), 0.25),
    ]


def _run(
    sampler, state, settings: SamplerSettings, names, condition: str, progress: bool, steps: int, **run
) -> int:
    """Run ``sampler`` from ``state`` for ``steps`` steps; with ``settings.until_converged``, in blocks
    of ``settings.check_every`` steps, stopping at the first block end where the second half of its
    steps passes the convergence gates (printing each check's worst R-hat and ESS). Returns the steps run."""
    if not settings.until_converged:
        sampler.run_mcmc(state, steps, progress=progress, **run)
        return steps
    done = 0
    while done < steps:
        block = min(settings.check_every, steps - done)
        state = sampler.run_mcmc(state, block, progress=False, **run)
        done += block
        diag = chain_convergence(sampler.get_chain(), names, done // 2, settings.thin)
        problems = convergence_problems(condition, diag)
        if progress:
            rhat = max(diag["rhat"].values())
            bulk, tail = min(diag["ess_bulk"].values()), min(diag["ess_tail"].values())
            print(
                f"{condition}: {done}/{steps} steps, worst R-hat {rhat:.3f}, worst bulk/tail "
                f"ESS {bulk:.0f}/{tail:.0f}, acceptance {np.mean(sampler.acceptance_fraction):.2f}"
                + ("" if problems else " -- converged"),
                file=sys.stderr,
                flush=True,
            )
        if not problems:
            break
    return done


def polish(log_posterior, start, max_evaluations: int) -> np.ndarray:
    """The best point a Nelder-Mead search of ``log_posterior`` finds from ``start`` on the unit cube
    (deterministic; points outside the cube count as prior zero)."""
    from scipy.optimize import minimize

    def cost(u):
        value = log_posterior(u)
        return 1e300 if not math.isfinite(value) else -value

    found = minimize(
        cost,
        np.asarray(start, float),
        method="Nelder-Mead",
        options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-2},
    )
    best = np.clip(found.x, 0.0, 1.0)
    return best if cost(best) <= cost(np.asarray(start, float)) else np.asarray(start, float)


def _source_label(source) -> str:
    """How a target source is recorded in an ensemble's metadata (:func:`target_source` reads it back)."""
    if isinstance(source, PublishedTargets) and source.subset:
        return "published:" + ",".join(source.frame["id"])
    if isinstance(source, PublishedTargets) and source.path != evidence_dir() / "published.csv":
        return str(source.path)
    return source.name


def likelihood_seconds(
    condition, n_patients: int = 100, seed: int = DEFAULT_SEED, engine="auto", repeat=3, replicates=0
):
    """Wall time of one likelihood evaluation at the condition's current values (best of ``repeat``,
    after one warm-up call that compiles the kernel), in seconds."""
    import time

    cond = load_condition(condition)
    bounds = free_parameters(cond.name)
    names = list(bounds)
    low = np.array([bounds[k][0] for k in names])
    high = np.array([bounds[k][1] for k in names])
    source = target_source("published")
    target = _LogPosterior(
        cond, names, low, high, source, source.fit_targets(cond), n_patients, seed, engine, replicates
    )
    u = np.clip((np.array([get_value(cond, k) for k in names]) - low) / (high - low), 0.0, 1.0)
    target(u)
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        target(u)
        best = min(best, time.perf_counter() - t0)
    return best


def predictive(
    condition,
    ensemble: Ensemble | None,
    members=None,
    n_patients: int = 100,
    seed: int = DEFAULT_SEED,
    targets=None,
    engine: str = "auto",
):
    """Posterior predictive check: each row's published interval beside the model's.

    Parameters
    ----------
    condition : str or Condition
    ensemble : Ensemble or None
        The posterior ensemble; None: the condition's current values as a single member (a point
        prediction, without the evidence's uncertainty).
    members : sequence of int, optional
        Which members to simulate (default all).
    n_patients, seed : int
        Cohort per arm and seed of each simulation (the same for every member).
    targets : optional
        The evidence (:func:`target_source`); default the source the ensemble was fitted on, or
        ``"published"``. Every row of the condition is reported: fitted, held out and not modelled
        alike (v1: a list of ``Target`` is accepted too).
    engine : str

    Returns
    -------
    pandas.DataFrame
        One row per evidence row: ``id, role, status, quantity, instrument, published, low, high,
        predicted_median, predicted_low, predicted_high, covered, mapping``. The predicted values are
        the median and 2.5 / 97.5 percentiles over the members; ``covered`` says whether the
        predictive interval overlaps the published one (None for a ``not_modelled`` row, whose
        ``mapping`` gives the reason).
    """
    import pandas as pd

    cond = load_condition(condition)
    if isinstance(targets, list):  # v1 Target rows
        source, rows = V1Targets(), targets
    else:
        if targets is None:
            targets = (
                ensemble.meta.get("targets_source", "v1") if ensemble is not None else None
            ) or "published"
        source = target_source(targets)
        rows = source.targets(cond)
    sets: list[dict[str, float]]
    if ensemble is None:
        sets = [{}]
    else:
        idx = range(ensemble.n_members) if members is None else list(members)
        sets = [ensemble.member(i) for i in idx]
    ppi = None
    if isinstance(source, PublishedTargets):
        sims, ppi = _published_predictive(cond, source, rows, sets, n_patients, seed, engine)
    else:
        sims = np.array([source.simulate(with_values(cond, v), rows, n_patients, seed, engine) for v in sets])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: a not_modelled row
        lo, med, hi = np.nanpercentile(sims, [2.5, 50, 97.5], axis=0)
    described = [source.describe(t) for t in rows]
    low = np.array([t.low for t in rows])
    high = np.array([t.high for t in rows])
    covered = [
        None if d["status"] == "not_modelled" else bool(a <= h and b >= l_)
        for d, a, b, l_, h in zip(described, lo, hi, low, high, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "id": [t.id for t in rows],
            **{k: [d[k] for d in described] for k in ("role", "status", "quantity", "instrument")},
            "published": [t.published for t in rows],
            "low": low,
            "high": high,
            "predicted_median": med,
            "predicted_low": lo,
            "predicted_high": hi,
            "covered": pd.Series(covered, dtype=object),
            "mapping": [d["mapping"] for d in described],
        }
    )
    if ppi is not None:
        frame["ppi_low"], frame["ppi_high"] = ppi
        inside = []
        for d, t, a, b in zip(described, rows, *ppi, strict=True):
            if d["status"] == "not_modelled" or not (math.isfinite(a) and math.isfinite(b)):
                inside.append(None)
            elif t.row.get("interval") == "range reported":  # a range: the intervals overlap
                inside.append(bool(a <= t.high and b >= t.low))
            else:
                inside.append(bool(a <= t.published <= b))
        frame["in_ppi"] = pd.Series(inside, dtype=object)
    return frame


PREDICTIVE_REPLICATES = 32
"""Bootstrap resamples of the patients for each member's Monte-Carlo error in :func:`predictive`."""
PREDICTIVE_DRAWS = 25
"""Draws of a published value per member in the posterior predictive interval."""
PREDICTIVE_BATCH = 16
"""Members simulated as one cohort in :func:`predictive`."""


def _published_predictive(cond, source, rows, sets, n_patients, seed, engine):
    """Members' row values (``(members, rows)``) and the 95 % posterior predictive interval of each
    row's published value: per member, the model's value plus a new study's scatter around it (its
    published SD, the heterogeneity at its prior median, the Monte-Carlo error), pooled over members."""
    from ptsim.analysis.likelihood import build_terms, predictive_sd
    from ptsim.analysis.predict import prepare_rows, simulate_sets

    prep = prepare_rows(
        cond,
        [t.row for t in rows],
        n_patients,
        seed,
        source.arms,
        [t.model for t in rows],
        PREDICTIVE_REPLICATES,
    )
    full = np.concatenate(
        [
            simulate_sets(prep, sets[i : i + PREDICTIVE_BATCH], engine, replicates=True)
            for i in range(0, len(sets), PREDICTIVE_BATCH)
        ]
    )
    sims = full[:, 0, :]
    lo = np.full(len(rows), math.nan)
    hi = np.full(len(rows), math.nan)
    use = [j for j, t in enumerate(rows) if not t.model.not_modelled]
    if use:
        terms = build_terms([rows[j].row for j in use], [rows[j].model for j in use])
        rng = np.random.default_rng([seed, 0x9E7])
        draws = []
        for member in full[:, :, use]:
            x = terms.transform(member[0])
            y = x + predictive_sd(terms, member) * rng.standard_normal((PREDICTIVE_DRAWS, len(use)))
            draws.append(np.where(terms.log_scale, np.exp(y), y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo[use], hi[use] = np.nanpercentile(np.concatenate(draws), [2.5, 97.5], axis=0)
    return sims, (lo, hi)


def identifiability(ensemble: Ensemble, bounds: dict[str, tuple[float, float]]):
    """Posterior SD against the uniform prior's SD per parameter; ratios near 1 mean the evidence
    leaves the parameter unidentified (posterior close to prior)."""
    import pandas as pd

    rows = []
    for name, v in ensemble.values.items():
        lo, hi = bounds[name]
        prior_sd = (hi - lo) / math.sqrt(12.0)
        ratio = float(np.std(v) / prior_sd)
        rows.append(
            {
                "parameter": name,
                "prior_low": lo,
                "prior_high": hi,
                "posterior_median": float(np.median(v)),
                "posterior_sd": float(np.std(v)),
                "sd_ratio": ratio,
                "unidentified": ratio > UNIDENTIFIED_SD_RATIO,
            }
        )
    return pd.DataFrame(rows)


def unidentified(ensemble: Ensemble, bounds: dict[str, tuple[float, float]]) -> list[str]:
    """The parameters the evidence leaves unidentified (posterior SD above
    :data:`UNIDENTIFIED_SD_RATIO` of the prior's), in the ensemble's column order."""
    table = identifiability(ensemble, bounds)
    return [str(p) for p in table.loc[table["unidentified"], "parameter"]]


# ---------------------------------------------------------------------------------------------------
# storage


CHECK_MEMBERS = 6
"""Members whose predictive values are recorded and recomputed by :func:`check_ensemble`."""
CHECK_PATIENTS = 40


def input_files(condition: str, targets="published") -> dict[str, Path]:
    """The files a condition's fit reads (their hashes tie a stored ensemble to them).

    The condition file, the evidence of the target source (``published.csv``, ``instruments.csv``
    and ``arms.toml``; v1: ``targets.csv`` and ``arms.toml``), ``calibration.toml`` and the
    calibrated layer (parameters the fit does not move keep its values).
    """
    from ptsim.inputs.conditions import conditions_dir

    source = target_source(targets)
    files = {"condition": conditions_dir() / f"{condition}.toml", **source.files()}
    files["calibration"] = evidence_dir() / "calibration.toml"
    layer = calibrated_dir() / f"{condition}.toml"
    if layer.is_file():
        files["calibrated"] = layer
    return files


V2_UNREAD_COLUMNS = ("design",)
"""Columns of ``published.csv`` added after calibration v2: an ensemble fitted before them (its
metadata has no ``likelihood`` key) did not read them, so they are left out of its digest."""


def _condition_rows_digest(path: Path, condition: str, unread: tuple[str, ...] = ()) -> str:
    """SHA-256 of a CSV file's header and the rows of one condition (re-written by the csv module, so
    other conditions' rows and line endings do not matter), without the ``unread`` columns."""
    import csv
    import hashlib
    import io

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    keep = [i for i, c in enumerate(rows[0]) if c not in unread]
    rows = [[r[i] for i in keep if i < len(r)] for r in rows]
    col = rows[0].index("condition")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [rows[0], *(r for r in rows[1:] if len(r) > col and r[col] == condition)]
    )
    return hashlib.sha256(out.getvalue().encode("utf-8")).hexdigest()


def _arms_named(condition: str, targets="published") -> list[str]:
    """The arms (and comparators) the condition's evidence rows name, in any role."""
    cond = load_condition(condition)
    names: set[str] = set()
    for t in target_source(targets).targets(cond):
        row = getattr(t, "row", None)  # a published.csv row, or a v1 Target with the same fields
        names.update((row["arm"], row["comparator"]) if row is not None else (t.arm, t.comparator))
    return sorted(n for n in names if n)


def _arms_digest(path: Path, names: list[str]) -> str:
    """SHA-256 of the named arms' tables of ``arms.toml`` (standard plans, which it does not hold, add
    nothing)."""
    import hashlib
    import json
    import tomllib

    with open(path, "rb") as f:
        arms = tomllib.load(f)
    chosen = {name: arms[name] for name in names if name in arms}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _bounds_digest(condition: str) -> str:
    """SHA-256 of a condition's free parameters and bounds in ``calibration.toml`` (its section only)."""
    import hashlib
    import json

    bounds = {k: [float(a), float(b)] for k, (a, b) in free_parameters(condition).items()}
    return hashlib.sha256(json.dumps(bounds, sort_keys=True).encode("utf-8")).hexdigest()


def input_digests(condition: str, targets="published", v2: bool = False) -> dict[str, str]:
    """The SHA-256 digests that tie a stored ensemble to what its fit read.

    Whole files: the condition file (and v1's ``targets.csv``). Of the files shared by every condition
    only the condition's part: its rows of ``published.csv`` (``published``) and of ``instruments.csv``
    (``instruments``), the trial arms its evidence rows name in ``arms.toml`` (``arms``) and its
    section of ``calibration.toml`` (``calibration``), so refitting one condition, or adding another,
    does not invalidate the others (until 2026-12-08 ``instruments.csv`` and ``arms.toml`` were hashed
    whole: the stored ensembles' digests were migrated, ``docs/calibration.md`` section 7). The
    calibrated layer is not an input: the fit sets every parameter the layer holds
    (it only chooses the sampler's starting point). ``v2``: the digest of an ensemble fitted before
    calibration v3 (without the :data:`V2_UNREAD_COLUMNS` of ``published.csv``).
    """
    files = input_files(condition, targets)
    out = {}
    for key, path in files.items():
        if key == "calibrated":
            continue
        if key == "published":
            out[key] = _condition_rows_digest(path, condition, V2_UNREAD_COLUMNS if v2 else ())
        elif key == "instruments":
            out[key] = _condition_rows_digest(path, condition)
        elif key == "arms":
            out[key] = _arms_digest(path, _arms_named(condition, targets))
        elif key == "calibration":
            out[key] = _bounds_digest(condition)
        else:
            out[key] = sha256_file(path)
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def _toml_table(name: str, d: dict) -> list[str]:
    lines, subtables = [f"[{name}]"], []
    for k, v in d.items():
        if isinstance(v, dict):
            subtables.append((f"{name}.{k}", v))
        else:
            lines.append(f'"{k}" = {_toml_value(v)}')
    for sub, v in subtables:
        lines += ["", *_toml_table(sub, v)]
    return lines


def mode_calibration(posterior: Posterior, command: str):
    """The kept member of highest posterior as a :class:`ptsim.analysis.calibrate.Calibration` (with
    its residuals on the fit rows), to be written as the condition's calibrated layer: the point
    values of the ``evidence`` scenario."""
    from ptsim.analysis.calibrate import Calibration

    x, lp = posterior.kept()
    best = x[int(np.argmax(lp))]
    values = dict(zip(posterior.names, map(float, best), strict=True))
    cond = load_condition(posterior.condition)
    raw = load_condition(posterior.condition, calibrated=False)
    source = target_source(posterior.target_source)
    fit = source.fit_targets(cond)
    s = posterior.settings
    sims = source.simulate(with_values(cond, values), fit, s.n_patients, s.seed, s.engine)
    res = np.array([standardized_residual(v, t) for v, t in zip(sims, fit, strict=True)])
    return Calibration(
        condition=posterior.condition,
        values=values,
        start=posterior.start or {},
        defaults={k: get_value(raw, k) for k in posterior.names},
        bounds={
            k: (float(a), float(b))
            for k, a, b in zip(posterior.names, posterior.low, posterior.high, strict=True)
        },
        targets=[t.id for t in fit],
        published=np.array([t.published for t in fit]),
        simulated=np.asarray(sims, float),
        residuals=res,
        cost=float(0.5 * np.sum(res**2)),
        success=True,
        message=f"the kept member of highest posterior of {len(lp)} (ensembles/{posterior.condition}.csv)",
        nfev=s.evaluations,
        n_patients=s.n_patients,
        seed=s.seed,
        method="emcee posterior ensemble (ptsim.analysis.bayes): its member of highest posterior",
        command=command,
    )


def write_ensemble(
    posterior: Posterior, command: str, directory: str | Path | None = None, layer: bool = True
) -> Path:
    """Write the kept parameter sets and their metadata to ``<directory>/<condition>.{csv,toml}``.

    With ``layer`` (default) also write the member of highest posterior as the condition's calibrated
    layer (``data/calibrated/<condition>.toml``, or beside the ensemble when ``directory`` is given):
    the point values :func:`ptsim.load_condition` applies in the ``evidence`` scenario.
    """
    folder = Path(directory) if directory is not None else ensembles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    x, lp = posterior.kept()
    chain, draw = posterior.kept_indices()
    csv_path = folder / f"{posterior.condition}.csv"
    header = ",".join(["chain", "draw", *posterior.names, "log_probability"])
    body = "\n".join(
        ",".join([str(c), str(d), *(f"{v:.17g}" for v in (*row, p))])
        for c, d, row, p in zip(chain, draw, x, lp, strict=True)
    )
    csv_path.write_text(header + "\n" + body + "\n", encoding="utf-8")

    ensemble = Ensemble(posterior.condition, {k: x[:, j] for j, k in enumerate(posterior.names)})
    members = list(range(min(CHECK_MEMBERS, ensemble.n_members)))
    check = predictive(
        posterior.condition,
        ensemble,
        members,
        CHECK_PATIENTS,
        posterior.settings.seed,
        posterior.target_source,
        posterior.settings.engine,
    )
    diagnostics = posterior.diagnostics()
    meta = {
        "condition": posterior.condition,
        "date": datetime.date.today().isoformat(),
        "command": command,
        "members": int(ensemble.n_members),
        "targets_source": posterior.target_source,
        "targets_used": posterior.targets,
        "sampler": {
            "name": f"emcee.EnsembleSampler ({MOVE_NAMES[posterior.settings.moves]})",
            **asdict(posterior.settings),
        },
        "prior": {
            k: [float(a), float(b)]
            for k, a, b in zip(posterior.names, posterior.low, posterior.high, strict=True)
        },
        "likelihood": "v3" if posterior.settings.replicates else "v3 without Monte-Carlo error",
        "diagnostics": diagnostics,
        "converged": not convergence_problems(posterior.condition, diagnostics),
        "sha256": input_digests(posterior.condition, posterior.target_source),
        "check": {
            "members": members,
            "n_patients": CHECK_PATIENTS,
            "seed": posterior.settings.seed,
            "target_ids": list(check["id"]),
            "predicted_median": [float(v) for v in check["predicted_median"]],
        },
    }
    lines = ["# Written by ptsim.analysis.bayes.write_ensemble: do not edit by hand.", ""]
    top = {k: v for k, v in meta.items() if not isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for k, v in meta.items():
        if isinstance(v, dict):
            lines += ["", *_toml_table(k, v)]
    meta_path = folder / f"{posterior.condition}.toml"
    meta_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if layer:
        from ptsim.analysis.calibrate import write_calibration

        write_calibration(
            mode_calibration(posterior, command), None if directory is None else folder / "calibrated"
        )
    return csv_path


def check_ensemble(condition: str, directory: str | Path | None = None, converged: bool = True) -> list[str]:
    """Problems with a stored ensemble (empty list: it loads, matches its inputs, reproduces and, with
    ``converged``, passes the convergence gates).

    Checks the number of members (>= 200), that the files it was fitted on are unchanged (SHA-256),
    that the recorded predictive values are reproduced by the current model and, with ``converged``,
    recomputes R-hat and bulk and tail ESS from the stored members' chain and draw indices
    (:func:`convergence`) and reports every gate it misses (:func:`convergence_problems`).
    """
    ens = load_ensemble(condition, directory)
    source = ens.meta.get("targets_source", "v1")
    problems = []
    if ens.n_members < 200:
        problems.append(f"{condition}: {ens.n_members} members, fewer than 200")
    files = input_files(condition, source)
    for key, digest in input_digests(condition, source, v2="likelihood" not in ens.meta).items():
        if ens.meta.get("sha256", {}).get(key) != digest:
            part = {"published": " (its rows)", "calibration": " (its section)"}.get(key, "")
            problems.append(
                f"{condition}: {files[key].name}{part} changed since the fit "
                f"(re-run `python -m ptsim.analysis.bayes {condition}`)"
            )
    check = ens.meta.get("check", {})
    if check:
        engine = ens.meta.get("sampler", {}).get("engine", "numpy")
        now = predictive(condition, ens, check["members"], check["n_patients"], check["seed"], source, engine)
        got = now.set_index("id").loc[check["target_ids"], "predicted_median"].to_numpy()
        want = np.asarray(check["predicted_median"], dtype=float)
        if not np.allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True):
            worst = check["target_ids"][int(np.nanargmax(np.abs(got - want)))]
            problems.append(f"{condition}: the model no longer reproduces the recorded predictions ({worst})")
    if converged:
        if "chain" not in ens.draws or "draw" not in ens.draws:
            problems.append(
                f"{condition}: no chain/draw index per member, so convergence cannot be recomputed "
                f"(re-run `python -m ptsim.analysis.bayes {condition}`)"
            )
        else:
            problems += convergence_problems(
                condition, convergence(ens.values, ens.draws["chain"], ens.draws["draw"])
            )
    return problems


# ---------------------------------------------------------------------------------------------------
# the evidence report (v2): a posterior predictive check per condition

REPORT_MEMBERS = 40
"""Ensemble members the report simulates (evenly spaced through the stored members)."""


def stored_ensemble(condition: str, directory: str | Path | None = None) -> Ensemble | None:
    """The condition's stored ensemble, or None when it has none."""
    try:
        return load_ensemble(condition, directory)
    except FileNotFoundError:
        return None


def fitted_patients(ensemble: Ensemble | None) -> int:
    """Patients per arm the ensemble's likelihood simulated (100 without an ensemble): the cohort
    size its predictions are checked with."""
    return int(ensemble.meta.get("sampler", {}).get("n_patients", 100)) if ensemble is not None else 100


def fit_coverage(table) -> tuple[int, int]:
    """(covered, modelled) fit rows of a :func:`predictive` table."""
    fit = table[(table["role"].isin(["fit", "calibration"])) & (table["status"] == "modelled")]
    return int(sum(bool(c) for c in fit["covered"])), len(fit)


def predictive_coverage(table, roles=("fit",)) -> tuple[int, int]:
    """(inside, checked) rows of the given roles whose published value lies in its 95 % posterior
    predictive interval (``in_ppi`` of a :func:`predictive` table of the published evidence)."""
    if "in_ppi" not in table:
        return 0, 0
    rows = table[table["role"].isin(list(roles)) & table["in_ppi"].notna()]
    return int(sum(bool(c) for c in rows["in_ppi"])), len(rows)


def ensemble_convergence(ensemble: Ensemble | None) -> list[str] | None:
    """The convergence gates a stored ensemble misses, recomputed from its chain and draw indices
    (empty: it passes); None when it has no indices (fitted before calibration v3) or no ensemble."""
    if ensemble is None or "chain" not in ensemble.draws or "draw" not in ensemble.draws:
        return None
    diag = convergence(ensemble.values, ensemble.draws["chain"], ensemble.draws["draw"])
    return convergence_problems(ensemble.condition, diag)


def _shown_path(path) -> str:
    """A path as the report shows it: relative to the data folder's parent (``data/ensembles/...``)
    when it is inside it, so the stored report does not depend on where the project is checked out."""
    from ptsim.inputs.paths import data_dir

    try:
        return str(Path(path).resolve().relative_to(data_dir().resolve().parent))
    except ValueError:
        return str(path)


def evidence_report(
    condition=None,
    directory: str | Path | None = None,
    members: int = REPORT_MEMBERS,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    targets="published",
    engine: str = "auto",
) -> dict[str, dict]:
    """The posterior predictive check of each condition against the published rows.

    Parameters
    ----------
    condition : str or None
        One condition, or None for every shipped condition.
    directory : str or Path, optional
        Where the stored ensembles are (default ``data/ensembles``). A condition without one is checked
        at its current values (a point prediction, said so in ``basis``).
    members : int
        Ensemble members simulated (evenly spaced).
    n_patients : int, optional
        Patients per arm (default: the cohort size the ensemble was fitted with, else 100).
    seed, targets, engine
        As for :func:`predictive`.

    Returns
    -------
    dict
        Condition name -> ``{"basis": str, "table": DataFrame (see predictive), "fit_covered": (covered,
        modelled fit rows), "unidentified": list of parameter names or None without an ensemble}``.
    """
    from ptsim.inputs.conditions import list_conditions

    names = list_conditions() if condition is None else [load_condition(condition).name]
    source = target_source(targets)
    checked_on = _source_label(source)
    out = {}
    for name in names:
        ens = stored_ensemble(name, directory)
        if ens is not None:
            idx = spaced_members(ens.n_members, members)
            basis = f"posterior ensemble {_shown_path(ens.path)} ({len(idx)} of {ens.n_members} members)"
            fitted_on = ens.meta.get("targets_source", "v1")
            if fitted_on != checked_on:
                basis += f"; fitted on {fitted_on}, checked on {checked_on}"
        else:
            idx = None
            basis = f"no stored ensemble: the current values only (run python -m ptsim.analysis.bayes {name})"
        table = predictive(name, ens, idx, n_patients or fitted_patients(ens), seed, source, engine)
        unident = unidentified(ens, free_parameters(name)) if ens is not None else None
        out[name] = {
            "basis": basis,
            "table": table,
            "fit_covered": fit_coverage(table),
            "fit_in_ppi": predictive_coverage(table),
            "held_out_in_ppi": predictive_coverage(table, ("held_out",)),
            "convergence": ensemble_convergence(ens),
            "unidentified": unident,
        }
    return out


def _estimate(x: float, a: float, b: float) -> str:
    """``x [a, b]`` with three significant digits, or "not simulated"."""
    if not all(math.isfinite(v) for v in (x, a, b)):
        return "not simulated"
    return f"{x:.3g} [{a:.3g}, {b:.3g}]"


def _convergence_text(problems: list[str] | None) -> str:
    if problems is None:
        return "not recomputable (no chain/draw indices: fitted before calibration v3)"
    if not problems:
        return f"passes (R-hat <= {RHAT_MAX}, bulk and tail ESS >= {ESS_MIN} for every parameter)"
    return f"NOT converged: {len(problems)} gates missed ({'; '.join(p.split(': ', 1)[1] for p in problems)})"


def format_report(report: dict[str, dict]) -> str:
    """The evidence report as text: per condition the share of fit rows covered, each held-out row
    covered or not, each not-modelled row with its reason, and the unidentified parameters."""
    lines = []
    for name, r in report.items():
        t = r["table"]
        k, n = r["fit_covered"]
        lines += [f"== {name}", f"   basis: {r['basis']}"]
        lines.append(f"   fit rows covered: {k} of {n}" + (f" ({100 * k / n:.0f} %)" if n else ""))
        for label, key in (("fit", "fit_in_ppi"), ("held-out", "held_out_in_ppi")):
            k2, n2 = r.get(key, (0, 0))
            if n2:
                lines.append(
                    f"   {label} rows in their 95 % posterior predictive interval: {k2} of {n2} "
                    f"({100 * k2 / n2:.0f} %)"
                )
        lines.append(f"   convergence: {_convergence_text(r.get('convergence'))}")
        for role in ("fit", "calibration", "known_gap", "held_out"):
            rows = t[(t["role"] == role) & (t["status"] == "modelled")]
            if rows.empty:
                continue
            lines.append(
                f"   {role} rows: instrument, published [95 % interval], model median [95 % predictive]:"
            )
            for _, x in rows.iterrows():
                mark = "covered" if x["covered"] else "NOT covered"
                published = _estimate(x["published"], x["low"], x["high"])
                model = _estimate(x["predicted_median"], x["predicted_low"], x["predicted_high"])
                lines.append(f"     {x['id']:<38} {x['instrument']:<14} {published:<24} {model:<26} {mark}")
        gaps = t[t["status"] == "not_modelled"]
        if not gaps.empty:
            lines.append("   not modelled:")
            lines += [f"     {x['id']:<40} ({x['role']}) {x['mapping']}" for _, x in gaps.iterrows()]
        u = r["unidentified"]
        if u is None:
            lines.append("   unidentified parameters: (needs an ensemble)")
        else:
            lines.append(f"   unidentified parameters: {', '.join(u) if u else 'none'}")
    return "\n".join(lines)


def report_markdown(report: dict[str, dict]) -> str:
    """The evidence report as a Markdown page: a summary table per condition (fit rows covered,
    held-out rows covered, unidentified parameters), then :func:`format_report`'s text."""
    lines = [
        "# Evidence report: the posterior predictive check",
        "",
        "Written by `python -m ptsim.analysis.bayes --report --markdown > docs/evidence_report.md`; do not",
        "edit by hand. For every published result of `data/evidence/published.csv`: its 95 % interval",
        "beside the model's 95 % predictive interval over the posterior ensemble's members (each member",
        "simulated on the same virtual patients, on the scale the source reports). *Covered* means the two",
        "intervals overlap. Held-out rows were chosen before any fit and no fit uses them. *In the 95 %",
        "PPI* counts the rows whose published value lies in its 95 % posterior predictive interval (the",
        "members' values plus a new study's scatter: its published SD, between-study heterogeneity at its",
        "prior median, the Monte-Carlo error; docs/calibration.md). *Converged* recomputes rank-normalised",
        "split R-hat and bulk and tail ESS from the stored chain and draw indices.",
        "",
        "| condition | fit rows covered | fit rows in the 95 % PPI | held-out rows covered "
        "| known gaps covered | not modelled | unidentified parameters | converged |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in report.items():
        t = r["table"]
        k, n = r["fit_covered"]
        held = t[(t["role"] == "held_out") & (t["status"] == "modelled")]
        hk = int(sum(bool(c) for c in held["covered"]))
        gaps = int((t["status"] == "not_modelled").sum())
        known = t[(t["role"] == "known_gap") & (t["status"] == "modelled")]
        kk = int(sum(bool(c) for c in known["covered"]))
        u = r["unidentified"]
        unident = "(no ensemble)" if u is None else (", ".join(f"`{p}`" for p in u) or "none")
        pk, pn = r.get("fit_in_ppi", (0, 0))
        conv = r.get("convergence")
        converged = (
            "no indices (v2 fit)"
            if conv is None
            else ("yes" if not conv else f"no ({len(conv)} gates missed)")
        )
        lines.append(
            f"| {name} | {k} of {n} | {pk} of {pn} | {hk} of {len(held)} | {kk} of {len(known)} | {gaps} "
            f"| {unident} | {converged} |"
        )
    return "\n".join([*lines, "", "```text", format_report(report), "```", ""])


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ptsim.analysis.bayes",
        description="Sample a condition's posterior ensemble with emcee and write it to data/ensembles/; "
        "with --report, print the posterior predictive check against data/evidence/published.csv.",
    )
    parser.add_argument("conditions", nargs="*", help="conditions, e.g. knee_oa (--report: default all)")
    d = SamplerSettings()
    tunable = ("n_walkers", "n_steps", "burn_in", "thin", "n_patients", "seed", "final_walkers")
    for name in tunable:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=None,
            help=f"default: the condition's RECOMMENDED_SETTINGS, else {getattr(d, name)}",
        )
    parser.add_argument("--engine", default=d.engine, choices=("auto", "numpy", "numba"))
    parser.add_argument(
        "--moves", default=None, choices=MOVES, help="the sampler's proposal (default: recommended)"
    )
    parser.add_argument("--targets", default="published", help="published (default), v1, or a CSV file")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--out", default=None, help="folder (default data/ensembles)")
    parser.add_argument("--report", action="store_true", help="print the evidence report instead of sampling")
    parser.add_argument(
        "--no-layer",
        action="store_true",
        help="do not write the member of highest posterior as the calibrated layer (data/calibrated)",
    )
    parser.add_argument(
        "--polish",
        type=int,
        default=None,
        help="Nelder-Mead evaluations before sampling (default: recommended)",
    )
    parser.add_argument("--members", type=int, default=REPORT_MEMBERS, help="members the report simulates")
    parser.add_argument(
        "--markdown", action="store_true", help="with --report: one Markdown page (all conditions)"
    )
    args = parser.parse_args(argv)
    prog = "python -m ptsim.analysis.bayes"

    def report_of(condition):
        return evidence_report(
            condition,
            args.out,
            args.members,
            args.n_patients,
            d.seed if args.seed is None else args.seed,
            args.targets,
            args.engine,
        )

    if args.report:
        status, pages = 0, {}
        for condition in args.conditions or [None]:
            try:
                rep = report_of(condition)
            except (ValueError, FileNotFoundError) as exc:
                print(f"{prog}: {condition or 'report'}: {exc}", file=sys.stderr)
                status = 2
                continue
            if args.markdown:
                pages.update(rep)
            else:
                print(format_report(rep))
        if args.markdown and status == 0:
            print(report_markdown(pages))
        return status
    if not args.conditions:
        parser.error("give at least one condition to calibrate (or --report)")
    command = f"{prog} " + " ".join(argv if argv is not None else sys.argv[1:])
    given = {k: getattr(args, k) for k in tunable if getattr(args, k) is not None}
    for condition in args.conditions:
        settings = replace(RECOMMENDED_SETTINGS.get(condition, d), **given, engine=args.engine)
        if args.polish is not None:
            settings = replace(settings, polish_evaluations=args.polish)
        if args.moves is not None:
            settings = replace(settings, moves=args.moves)
        try:
            post = sample(condition, settings, processes=args.processes, targets=args.targets)
        except (ValueError, FileNotFoundError) as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 2
        path = write_ensemble(post, command, args.out, layer=not args.no_layer)
        print(f"{condition}: {post.kept()[0].shape[0]} members, acceptance {post.acceptance:.2f} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

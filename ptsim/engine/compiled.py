"""The compiled engine (Numba): the day loop of a run, patient by patient, in one kernel.

The day is not written here: every step is a function of :mod:`ptsim.core.day` (the one definition of
a patient's day, which the numpy engine runs too), compiled with the equations of
:mod:`ptsim.core.equations` and :mod:`ptsim.core.mechanisms_v2` and the mixers of
:mod:`ptsim.core.streams`. This module holds the loop: :func:`_start_day` (the day's fluctuation, the
night's advance, setbacks), :func:`_rest_of_day` (a clinic session or home exercise, the adaptations,
the end of the day, recording) and :func:`_days` (both, for a range of days). The fixed-plan loop runs
:func:`_days` over the whole run; the policy loop (:mod:`ptsim.engine.adaptive`) runs it between visits
and :func:`_start_day`, the policy's decision, :func:`_rest_of_day` on visit days.

Without numba (or with ``NUMBA_DISABLE_JIT=1``) the same kernel runs as plain Python
(:func:`kernels` with ``compiled=False``): slow, but the same code.
"""

from __future__ import annotations

import hashlib
import inspect
import types
from pathlib import Path
from typing import Any

import numpy as np

from ptsim.core import day, equations, mechanisms_v2
from ptsim.core.day import (
    adapt,
    adapts,
    advance,
    does_home,
    end_of_day,
    exercise,
    fluctuate,
    may_set_back,
    outputs,
    session,
    setback,
)
from ptsim.core.streams import _M1, mix64, unit_from_bits
from ptsim.engine.loop import finish, prepare

try:
    import numba
except ImportError:  # pragma: no cover - depends on the environment
    numba = None  # type: ignore[assignment]  # numba is optional: AVAILABLE says whether it loaded

AVAILABLE = numba is not None


def _uniform(key, d):
    """``streams.uniforms_from_keys`` for one key and day."""
    h = mix64(key ^ (np.uint64(d) * _M1))
    return unit_from_bits(float(h >> np.uint64(11)))


def _start_day(x, d, P, C, R, hit):
    """The start of day ``d`` for every patient: the day's fluctuation, then (after day 0) the night's
    advance and, for a patient at risk (discharged, base hazard > 0), a possible setback."""
    n = x.shape[1]
    step_days = 1.0 if d > 0 else np.inf  # day 0: a draw from the stationary law
    for i in range(n):
        hit[i] = False
        if R.fluctuating:
            fluctuate(x, i, P, R.normals[d, R.normal_col[i]], step_days)
        if d > 0:
            advance(x, i, P, C)
            if d >= R.discharge[i] and P.setback_hazard_per_day[i] > 0.0:
                u = _uniform(R.keys_setback[i], d)
                if may_set_back(x, i, P, C, u):
                    hit[i] = setback(x, i, P, C, u)


def _rest_of_day(x, d, P, C, S, R, hit, Rec):
    """The rest of day ``d`` for every patient: today's clinic session (``R.codes``) or home exercise,
    the adaptations, the end of the day; the outputs are recorded (``Rec``)."""
    n = x.shape[1]
    row = Rec.row_of_day[d]
    n_flared = 0
    n_hit = 0
    for i in range(n):
        dose = 0.0
        flared = False
        s = R.codes[d, i]
        if s >= 0:
            flare_u = _uniform(R.keys_flare[i], d) if R.random_flares else 0.0
            dose, flared = session(x, i, P, C, S, s, flare_u, R.random_flares)
        elif R.home_minutes > 0.0:
            f = R.freq[d] if d < R.discharge[i] else R.freq_after  # adherence's decline: engagement
            if f > 0.0 and does_home(x, i, P, C, f, _uniform(R.keys_home[i], d)):
                flare_u = _uniform(R.keys_flare[i], d) if R.random_flares else 0.0
                dose, flared = exercise(
                    x, i, P, C, R.home_minutes, R.home_intensity, R.home_w[i], R.home_weih[i], flare_u,
                    R.random_flares,
                )  # fmt: skip
        if adapts(dose, flared):
            adapt(x, i, P, dose, flared)
        end_of_day(x, i)
        rom, pain, strength, function = outputs(x, i, P, C)
        Rec.outs[0, i] = rom
        Rec.outs[1, i] = pain
        Rec.outs[2, i] = strength
        Rec.outs[3, i] = function
        if flared:
            Rec.flare_count[i] += 1
            n_flared += 1
        if hit[i]:
            Rec.setback_count[i] += 1
            n_hit += 1
        if row >= 0:
            for k in range(4):
                Rec.values[k, row, i] = Rec.outs[k, i]
            Rec.dose[row, i] = dose
            Rec.flares[row, i] = flared
            Rec.setbacks[row, i] = hit[i]
    Rec.daily_flares[d] = n_flared
    Rec.daily_setbacks[d] = n_hit
    for k in range(4):
        total = 0.0
        for i in range(n):
            total += Rec.outs[k, i]
        mean = total / n
        m2 = 0.0
        for i in range(n):
            dev = Rec.outs[k, i] - mean
            m2 += dev * dev
        Rec.daily_mean[k, d] = mean
        Rec.daily_m2[k, d] = m2


def _days(x, d0, d1, P, C, S, R, hit, Rec):
    """Days ``d0`` to ``d1 - 1``, whole."""
    for d in range(d0, d1):
        _start_day(x, d, P, C, R, hit)
        _rest_of_day(x, d, P, C, S, R, hit, Rec)


# The functions the kernel calls, by the names it calls them: the equations and streams' mixers, and
# this module's helpers. ``kernels`` binds them all in one namespace and compiles them together.
_EQUATIONS: dict[str, Any] = {
    name: f
    for module in (equations, mechanisms_v2)
    for name, f in vars(module).items()
    if isinstance(f, types.FunctionType) and f.__module__ == module.__name__
}
_STEPS: dict[str, Any] = {name: getattr(day, name) for name in day.STEPS}
_HELPERS: dict[str, Any] = {
    "mix64": mix64,
    "unit_from_bits": unit_from_bits,
    "_uniform": _uniform,
    "_start_day": _start_day,
    "_rest_of_day": _rest_of_day,
    "_days": _days,
}
# The day's steps take the parameter tables (namedtuples of ~70 arrays) by value: inlined into the
# kernel they cost nothing, called each call would copy the tables.
_INLINED = frozenset(day.STEPS)
_BUILT: dict[bool, types.SimpleNamespace] = {}


def source_key(functions) -> str:
    """sha256 of the contents of every source file that defines one of ``functions``: the key of the
    compiled kernel's disk cache, so that an edit to any file the kernel executes recompiles it."""
    files = sorted({inspect.getsourcefile(f) or f.__code__.co_filename for f in functions})
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def _source_keyed_cache(dispatcher, key: str) -> None:
    """Give a numba dispatcher a disk cache whose index key also holds ``key`` (:func:`source_key`).

    numba's own cache (``cache=True``) is keyed on the file that defines the function (its time stamp)
    and on that function's bytecode, not on the functions it calls: a kernel whose file is unchanged
    would load its old compiled code, callees included, after an equation changed. Adding the contents
    of every file the kernel executes to the key makes any such change a cache miss (a recompile).
    """
    from numba.core.caching import FunctionCache

    if not hasattr(dispatcher, "py_func"):  # NUMBA_DISABLE_JIT=1: njit returned the plain function
        return

    class SourceKeyedCache(FunctionCache):
        def _index_key(self, sig, codegen):
            return (*super()._index_key(sig, codegen), key)

    dispatcher._cache = SourceKeyedCache(dispatcher.py_func)


def kernels(compiled: bool = True) -> types.SimpleNamespace:
    """The kernel and its helpers, compiled with numba (``compiled=True``) or as plain Python.

    Every function is rebound to a copy of its module's globals in which the names of the kernel's
    functions are the compiled (or plain) versions, so the compiled kernel calls the compiled
    equations. Compiled functions are cached on disk, keyed on the contents of every source file the
    kernel executes (:func:`source_key`): a new process loads them instead of compiling, and any edit
    to those files compiles again (see ``docs/performance.md``).
    """
    if compiled and not AVAILABLE:
        raise ValueError("engine='numba' needs the numba package: pip install numba (or engine='numpy')")
    if compiled not in _BUILT:
        functions = {**_EQUATIONS, **_STEPS, **_HELPERS}
        key = source_key(functions.values())
        # one copy of each source module's globals, in which every kernel function's name is then
        # replaced by its compiled (or plain) version
        spaces = {f.__module__: dict(f.__globals__) for f in functions.values()}

        def jit(name, f):
            if not compiled:
                return f
            if name in _INLINED:
                dispatcher = numba.njit(error_model="numpy", inline="always")(f)
            else:
                dispatcher = numba.njit(error_model="numpy")(f)
            _source_keyed_cache(dispatcher, key)
            return dispatcher

        built = {
            name: jit(
                name,
                types.FunctionType(f.__code__, spaces[f.__module__], name, f.__defaults__, f.__closure__),
            )
            for name, f in functions.items()
        }
        for space in spaces.values():
            space.update(built)
        _BUILT[compiled] = types.SimpleNamespace(**built)
    return _BUILT[compiled]


def run(cond, plan, df, days: int, seed: int, policy=None, record_days=None, draws=None, compiled=True):
    """A resolved fixed plan for the validated cohort ``df`` on the kernel (``compiled=False``: the same
    kernel as plain Python); the contract of :func:`ptsim.engine.vectorised.run`. Of ``draws`` (the
    streams a comparison shares, :func:`ptsim.engine.loop.cohort_draws`) it takes the fluctuation
    normals; it hashes its uniforms from the patients' keys.

    Raises
    ------
    ValueError
        If numba is not installed (with ``compiled=True``), or for ``policy`` (adaptive plans run through
        :func:`ptsim.engine.adaptive.run_policy`, which drives this kernel between visits).
    """
    if policy is not None:
        raise ValueError("engine='numba' runs an adaptive plan through ptsim.engine.adaptive.run_policy")
    k = kernels(compiled)
    r = prepare(cond, plan, df, days, seed, record_days, draws)
    with np.errstate(over="ignore"):  # (uncompiled, the uint64 hash warns on its intended wrap-around)
        k._days(r.x, 0, days + 1, r.P, r.C, r.S, r.R, r.hit, r.Rec)
    return finish(cond, plan, df, seed, r, "numba" if compiled else "python")

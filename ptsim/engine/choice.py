"""Which engine runs a case: the compiled kernel by default, the numpy engine on request or without numba."""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("numpy", "numba", "auto")


@dataclass(frozen=True)
class EngineChoice:
    """The engine a run uses: ``name`` ("numba" or "numpy") and, when ``engine="auto"`` could not
    take the compiled engine, ``note`` saying why (copied to ``Result.engine_note``)."""

    name: str
    note: str | None = None

    def runner(self):
        """The function that runs one fixed plan for one chunk of patients (``vectorised.run`` contract)."""
        if self.name == "numba":
            from ptsim.engine import compiled

            return compiled.run
        from ptsim.engine import vectorised

        return vectorised.run


def choose_engine(engine: str, policy=None, cond=None, plans=()) -> EngineChoice:
    """The engine for ``engine`` ("auto", "numba" or "numpy") and a fixed plan or a ``policy``.

    Both engines run the same day (:mod:`ptsim.core.day`) for every case: fixed plans, schedules of
    different sessions, adaptive plans. ``"auto"`` takes the compiled engine when numba is installed,
    the numpy engine with a note otherwise; ``"numba"`` without numba raises a ValueError naming the
    alternative. (``policy``, ``cond`` and ``plans`` are accepted for callers that pass the case.)
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))}, got {engine!r}")
    if engine == "numpy":
        return EngineChoice("numpy")
    from ptsim.engine import compiled

    if compiled.AVAILABLE:
        return EngineChoice("numba")
    if engine == "numba":
        raise ValueError("engine='numba' needs the numba package: pip install numba (or engine='numpy')")
    return EngineChoice(
        "numpy", "engine='auto' ran the numpy engine: numba is not installed (pip install numba)"
    )

"""The day loop over a cohort: simulate, compare, results, the compiled path and adaptive policies.
Imports ``ptsim.core`` and ``ptsim.inputs``.
"""

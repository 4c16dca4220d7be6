"""The numerical core: parameters (name, unit, default, source), the state and the daily and
sub-session arithmetic, instruments, and counter-based random streams. Imports nothing else of ptsim.
"""

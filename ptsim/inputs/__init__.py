"""Inputs as data: conditions, plans and cohorts read from TOML/CSV and validated. Imports only
``ptsim.core``.
"""

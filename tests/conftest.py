import functools

import pytest

import ptsim

CONDITIONS = ptsim.list_conditions()


@functools.cache
def comparison(condition: str, n_patients: int = 300, days: int = 365, seed: int = 0):
    """The standard plans on one cohort; cached because many tests read the same run."""
    return ptsim.compare(condition, ptsim.standard_plans(), n_patients=n_patients, days=days, seed=seed)


@pytest.fixture(params=CONDITIONS)
def condition_name(request):
    return request.param

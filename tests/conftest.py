import functools
import os

import pytest
from hypothesis import settings

import ptsim

CONDITIONS = ptsim.list_conditions()

# Property tests explore new random examples on a developer's machine, but CI replays a fixed set
# (derandomize) so that whether a submission lands does not depend on luck.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


SCENARIOS = ("evidence", "premise")


@functools.cache
def comparison(
    condition: str, n_patients: int = 300, days: int = 365, seed: int = 0, scenario: str = "evidence"
):
    """The standard plans on one cohort; cached because many tests read the same run."""
    return ptsim.compare(
        condition, ptsim.standard_plans(), n_patients=n_patients, days=days, seed=seed, scenario=scenario
    )


@pytest.fixture(params=CONDITIONS)
def condition_name(request):
    return request.param

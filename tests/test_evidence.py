"""The published-results and instrument tables of issue 13 and their strict loader."""

import csv

import pytest
from scipy import stats

import ptsim
from ptsim.analysis import calibrate, evidence
from tests.conftest import CONDITIONS


@pytest.fixture(scope="module")
def published():
    return evidence.published_targets()


# --- the shipped tables ---------------------------------------------------------------------------


def test_every_condition_has_eight_targets_of_every_required_kind(published):
    assert set(published["condition"]) == set(CONDITIONS)
    assert len(published) >= 40
    for cond, rows in published.groupby("condition"):
        assert len(rows) >= 8, cond
        tags = {t for ts in rows["tags"] for t in ts}
        assert set(evidence.TAGS) <= tags, (cond, set(evidence.TAGS) - tags)


def test_held_out_set_is_stated_and_spans_trials(published):
    held = published[published["role"] == "held_out"]
    assert len(held) >= 4
    assert held["notes"].str.startswith("held out:").all()
    # different trials: count distinct first authors of the cited sources
    assert held["source"].str.split().str[0].nunique() >= 4
    # later follow-ups: every held-out result is measured at least 6 months after the start of care
    assert (held["day"] >= 182).all()


def test_filters_and_bad_arguments(published):
    knee = evidence.published_targets(condition="knee_oa")
    assert len(knee) == (published["condition"] == "knee_oa").sum()
    fit = evidence.published_targets(role="fit")
    assert set(fit["role"]) == {"fit"} and len(fit) < len(published)
    with pytest.raises(ValueError, match="condition: unknown 'elbow'"):
        evidence.published_targets(condition="elbow")
    with pytest.raises(ValueError, match="role: unknown 'test'"):
        evidence.published_targets(role="test")


def test_rows_carry_sources_and_checks(published):
    for _, r in published.iterrows():
        assert r["source"] and r["checked"] and r["timing"]
        assert r["low"] <= r["estimate"] <= r["high"]
        if r["interval"] == "95% CI derived":
            assert r["derivation"]


def test_pooled_rows_are_pooled_estimates_and_single_rows_have_a_sample_size(published):
    """A row without a sample size is a review's pooled estimate; a single study states its n."""
    assert set(published["design"]) <= set(evidence.DESIGNS)
    assert published.loc[published["n"].isna(), "design"].eq("pooled").all()
    single = published[published["design"] == "single"]
    assert single["n"].notna().all() and len(single) >= 20


def test_pooled_knee_exercise_row_matches_evidence_md(published):
    row = published.set_index("id").loc["knee_fransen_pain_end"]
    assert (row["estimate"], row["low"], row["high"]) == (-12.0, -15.0, -10.0)
    assert row["instrument"] == "pain_0_100" and row["arm"] == "exercise_only"


def test_calibrate_v1_still_reads_only_targets_csv():
    ids = {t.id for t in calibrate.load_targets()}
    assert ids and not any(i.startswith(("knee_fransen", "lbp_hayden")) for i in ids)


def test_instruments_table():
    table = evidence.instruments()
    assert list(table["condition"]) == sorted(table["condition"], key=list(table["condition"]).index)
    assert set(table["condition"]) == set(CONDITIONS)
    instrument = dict(zip(table["condition"], table["instrument"], strict=True))
    # every condition's row names the scale of its condition file's questionnaire (no list to edit when a
    # condition is added) ...
    for name in CONDITIONS:
        assert instrument[name] == ptsim.load_condition(name).questionnaire.column.upper(), name
    # ... and the conditions shipped before hip OA keep the scales they were verified with
    pinned = {
        "knee_oa": "WOMAC_0_100",
        "chronic_neck_pain": "NDI_0_50",
        "low_back_pain": "RMDQ_0_24",
        "adhesive_capsulitis": "SPADI_0_100",
        "subacromial_pain": "SPADI_0_100",
    }
    assert {c: instrument[c] for c in pinned} == pinned
    for _, r in table.iterrows():
        assert 0 < r["mcid"] < r["scale_max"] - r["scale_min"]
        assert r["higher_is_worse"] is True
        assert r["mcid_source"]


# --- the interval formulas ------------------------------------------------------------------------


def test_wilson_matches_scipy():
    for k, n in [(13, 50), (0, 20), (40, 45), (132, 223)]:
        est, low, high = evidence.wilson(k, n)
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        assert est == pytest.approx(100 * k / n)
        assert (low, high) == pytest.approx((100 * ci.low, 100 * ci.high), abs=1e-9)


def test_newcombe_reproduces_the_published_example():
    # Newcombe (1998), Stat Med 17:873, example (a), method 10: 56/70 - 48/80 = 0.2000 (0.0524, 0.3339)
    est, low, high = evidence.newcombe(56, 70, 48, 80)
    assert (est, low, high) == pytest.approx((20.0, 5.24, 33.39), abs=0.01)


def test_mean_intervals():
    _est, low, high = evidence.mean_t(41, 8, 7)
    ci = stats.t.interval(0.95, 6, loc=41, scale=8 / 7**0.5)
    assert (low, high) == pytest.approx(ci)
    assert evidence.mean_z(37.0, 30.7, 78)[1] == pytest.approx(37.0 - 1.959964 * 30.7 / 78**0.5)
    d, _lo, hi = evidence.diff_z(10, 2, 50, 8, 2, 50)
    assert d == 2 and hi - d == pytest.approx(1.959964 * (8 / 50) ** 0.5)
    assert evidence.scaled(1.4, 0.6, 2.1, -1) == pytest.approx((-1.4, -2.1, -0.6))


@pytest.mark.parametrize(
    "expression, message",
    [
        ("exec(1)", "expected one of"),
        ("wilson(a,5)", "numbers"),
        ("wilson(1,2,3)", "wrong number of arguments"),
        ("mean_z(1,1,0)", "cannot evaluate"),
    ],
)
def test_derive_rejects_anything_but_the_formulas(expression, message):
    with pytest.raises(ValueError, match=message):
        evidence.derive(expression)


# --- strict validation of a file ------------------------------------------------------------------

GOOD = {
    "id": "t_one",
    "condition": "knee_oa",
    "role": "fit",
    "tags": "responder_or_recurrence",
    "quantity": "proportion",
    "arm": "usual_care",
    "comparator": "",
    "day": "365",
    "timing": "1 year",
    "instrument": "percent",
    "estimate": "26.0",
    "low": "15.9",
    "high": "39.6",
    "interval": "95% CI derived",
    "derivation": "wilson(13,50)",
    "n": "50",
    "design": "single",
    "source": "a source",
    "verified": "yes",
    "checked": "abstract",
    "notes": "",
}


def _write(tmp_path, rows, columns=evidence.PUBLISHED_COLUMNS):
    path = tmp_path / "published.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_a_good_row_loads(tmp_path):
    frame = evidence.published_targets(path=_write(tmp_path, [GOOD]))
    assert frame.loc[0, "tags"] == ("responder_or_recurrence",) and frame.loc[0, "n"] == 50


@pytest.mark.parametrize(
    "change, column",
    [
        ({"estimate": "abc"}, "estimate"),
        ({"low": "inf"}, "low"),
        ({"low": "40", "high": "39.6"}, "low"),
        ({"estimate": "45", "derivation": ""}, "estimate"),
        ({"condition": "elbow"}, "condition"),
        ({"role": "maybe"}, "role"),
        ({"tags": "pooled;whatever"}, "tags"),
        ({"quantity": "odds"}, "quantity"),
        ({"arm": "no_such_arm"}, "arm"),
        ({"quantity": "proportion_difference"}, "comparator"),
        ({"comparator": "exercise_only"}, "comparator"),
        ({"day": "1.5"}, "day"),
        ({"day": "-3"}, "day"),
        ({"instrument": "furlongs"}, "instrument"),
        ({"estimate": "105", "low": "100", "high": "110", "derivation": ""}, "low/high"),
        ({"interval": "about"}, "interval"),
        ({"derivation": ""}, "derivation"),
        ({"derivation": "wilson(14,50)"}, "estimate"),
        ({"high": "45"}, "high"),
        ({"n": "0"}, "n"),
        ({"design": "meta"}, "design"),
        ({"source": ""}, "source"),
        ({"verified": "sure"}, "verified"),
        ({"role": "held_out"}, "notes"),
        ({"id": "bad id!"}, "id"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path, change, column):
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "t_two", **change}])
    with pytest.raises(ValueError) as err:
        evidence.published_targets(path=path)
    text = str(err.value)
    assert str(path) in text and "line 3" in text and f"column '{column}'" in text


def test_repeated_id_and_bad_headers(tmp_path):
    with pytest.raises(ValueError, match=r"line 3: column 'id'.*already on line 2"):
        evidence.published_targets(path=_write(tmp_path, [GOOD, GOOD]))
    cols = [*evidence.PUBLISHED_COLUMNS, "extra"]
    with pytest.raises(ValueError, match="unknown column\\(s\\) extra"):
        evidence.published_targets(path=_write(tmp_path, [GOOD], columns=cols))
    cols = [c for c in evidence.PUBLISHED_COLUMNS if c != "checked"]
    with pytest.raises(ValueError, match="missing column\\(s\\) checked"):
        evidence.published_targets(path=_write(tmp_path, [GOOD], columns=cols))
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        evidence.published_targets(path=tmp_path / "nothing.csv")


def _instrument_rows():
    with open(evidence._evidence_dir() / "instruments.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    "change, column",
    [
        ({"condition": "elbow"}, "condition"),
        ({"instrument": "percent"}, "instrument"),
        ({"scale_max": "96"}, "scale_min/scale_max"),
        ({"higher_is_worse": "false"}, "higher_is_worse"),
        ({"mcid": "0"}, "mcid"),
        ({"mcid": "x"}, "mcid"),
        ({"mcid_source": ""}, "mcid_source"),
        ({"verified": "?"}, "verified"),
    ],
)
def test_bad_instrument_rows(tmp_path, change, column):
    rows = _instrument_rows()
    rows[1] = {**rows[1], **change}
    path = _write(tmp_path, rows, columns=evidence.INSTRUMENT_COLUMNS)
    with pytest.raises(ValueError) as err:
        evidence.instruments(path=path)
    assert (
        str(path) in str(err.value) and "line 3" in str(err.value) and f"column '{column}'" in str(err.value)
    )


def test_instruments_need_every_condition_once(tmp_path):
    rows = _instrument_rows()
    with pytest.raises(ValueError, match="no row for condition"):
        evidence.instruments(path=_write(tmp_path, rows[:-1], columns=evidence.INSTRUMENT_COLUMNS))
    with pytest.raises(ValueError, match="one row per condition"):
        evidence.instruments(path=_write(tmp_path, [*rows, rows[0]], columns=evidence.INSTRUMENT_COLUMNS))

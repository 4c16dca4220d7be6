"""Treatment plans as data: sessions made of ordered components, a home programme and follow-up.

A plan says how often the patient comes to clinic and for how long, what each session holds in
order (which matters: DESIGN M2), what the patient does at home during care and after discharge,
and how many minutes a session lasts (the time budget, M8). Plans are plain frozen dataclasses,
so they can be built in Python, read from TOML and compared.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from ptsim.core.parameters import TECHNIQUES

COMPONENT_KINDS = (*TECHNIQUES, "manual_therapy", "exercise", "education", "rest")
"""Accepted component kinds. ``manual_therapy`` stands for the condition's indicated techniques
(its ``[manual_therapy]`` table), split by their shares when the plan meets a condition."""

GRADED = (*TECHNIQUES, "manual_therapy")


def _finite(value, name, low=0.0, high=math.inf, strict_low=False, integer=False):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if integer and value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    too_low = value <= low if strict_low else value < low
    if too_low or value > high:
        rng = f"{'(' if strict_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return int(value) if integer else float(value)


@dataclass(frozen=True)
class Component:
    """One part of a session.

    Parameters
    ----------
    kind : str
        One of ``COMPONENT_KINDS``.
    minutes : float
        Duration (minutes, > 0).
    intensity : float, optional
        For hands-on techniques the Maitland grade 1-4 (default 3; massage takes no grade); for
        exercise the effort as a share of maximal, 0-1 (default 0.7); not used otherwise.
    """

    kind: str
    minutes: float
    intensity: float | None = None

    def __post_init__(self):
        if self.kind not in COMPONENT_KINDS:
            raise ValueError(
                f"component kind {self.kind!r} is not known; accepted: {', '.join(COMPONENT_KINDS)}"
            )
        object.__setattr__(
            self, "minutes", _finite(self.minutes, f"{self.kind}: minutes", 0, 600, strict_low=True)
        )
        if self.kind == "massage":
            if self.intensity is not None:
                raise ValueError("massage: intensity is not used (general massage has no grade)")
        elif self.kind in GRADED:
            grade = 3 if self.intensity is None else self.intensity
            grade = _finite(grade, f"{self.kind}: intensity (Maitland grade)", 1, 4, integer=True)
            object.__setattr__(self, "intensity", grade)
        elif self.kind == "exercise":
            effort = 0.7 if self.intensity is None else self.intensity
            effort = _finite(effort, "exercise: intensity (share of maximal effort)", 0, 1, True)
            object.__setattr__(self, "intensity", effort)
        elif self.intensity is not None:
            raise ValueError(f"{self.kind}: intensity is not used; leave it out")

    def __str__(self) -> str:
        tail = ""
        if self.kind in GRADED and self.kind != "massage" and self.intensity is not None:
            tail = f" grade {'I II III IV'.split()[int(self.intensity) - 1]}"
        elif self.kind == "exercise":
            tail = f" at {self.intensity:.0%} effort"
        return f"{self.kind.replace('_', ' ')} {self.minutes:g} min{tail}"


@dataclass(frozen=True)
class Session:
    """An ordered list of components within a time budget (DESIGN M8).

    Parameters
    ----------
    components : tuple of Component
        Run in this order.
    minutes : float
        The session's length; the components' minutes may not exceed it. Default 45.
    """

    components: tuple[Component, ...]
    minutes: float = 45.0

    def __post_init__(self):
        comps = tuple(self.components)
        for c in comps:
            if not isinstance(c, Component):
                raise ValueError(f"session components must be Component objects, got {c!r}")
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "minutes", _finite(self.minutes, "session minutes", 0, 600, True))
        used = sum(c.minutes for c in comps)
        if used > self.minutes + 1e-9:
            raise ValueError(
                f"session components take {used:g} min but the session lasts {self.minutes:g} min; "
                "shorten a component or lengthen the session"
            )

    @property
    def exercise_minutes(self) -> float:
        return sum(c.minutes for c in self.components if c.kind == "exercise")

    def __str__(self) -> str:
        return " -> ".join(map(str, self.components)) or "no treatment"


@dataclass(frozen=True)
class HomeProgramme:
    """Home exercise: sessions a week, minutes and effort; during care and after discharge.

    Parameters
    ----------
    days_per_week : float
        Scheduled home sessions a week during care, on days without a clinic visit (0-7).
    minutes : float
        Minutes of a home session.
    intensity : float
        Effort, share of maximal (0-1].
    after_discharge_days_per_week : float
        Scheduled home sessions a week after discharge (a maintenance programme).
    after_discharge_adherence_factor : float
        Adherence after discharge as a share of adherence during care (0-1).
    """

    days_per_week: float = 5
    minutes: float = 20
    intensity: float = 0.6
    after_discharge_days_per_week: float = 3
    after_discharge_adherence_factor: float = 0.5

    def __post_init__(self):
        _finite(self.days_per_week, "home days_per_week", 0, 7)
        _finite(self.minutes, "home minutes", 0, 600, strict_low=True)
        _finite(self.intensity, "home intensity (share of maximal effort)", 0, 1, strict_low=True)
        _finite(self.after_discharge_days_per_week, "home after_discharge_days_per_week", 0, 7)
        _finite(self.after_discharge_adherence_factor, "home after_discharge_adherence_factor", 0, 1)


@dataclass(frozen=True)
class Plan:
    """A course of care.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"combined"``.
    session : Session
        What every clinic session holds.
    sessions_per_week : int
        Clinic visits a week (0-7); visits are spread over the week (two: days 0 and 3).
    weeks : int
        Weeks of care; discharge is on day ``7 * weeks``.
    home : HomeProgramme or None
        The home exercise programme, or None for none.
    description : str
        One line for people.
    """

    name: str
    session: Session
    sessions_per_week: int = 2
    weeks: int = 6
    home: HomeProgramme | None = None
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"plan name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.session, Session):
            raise ValueError(f"plan {self.name!r}: session must be a Session, got {self.session!r}")
        spw = _finite(self.sessions_per_week, "sessions_per_week", 0, 7, integer=True)
        object.__setattr__(self, "sessions_per_week", spw)
        object.__setattr__(self, "weeks", _finite(self.weeks, "weeks", 0, 520, integer=True))
        if self.home is not None and spw + self.home.days_per_week > 7:
            raise ValueError(
                f"plan {self.name!r}: {spw} clinic sessions plus {self.home.days_per_week:g} home "
                "days a week exceed 7 days; home sessions are on days without a clinic visit"
            )

    @property
    def discharge_day(self) -> int:
        """Day of discharge: the end of care (day 0 is the first session)."""
        return 7 * self.weeks

    @property
    def visit_weekdays(self) -> tuple[int, ...]:
        """Days of the week (0-6) with a clinic visit, spread evenly."""
        n = self.sessions_per_week
        return tuple(int(k * 7 // n) for k in range(n)) if n else ()

    def with_(self, **changes) -> Plan:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def resolve(self, condition) -> Plan:
        """Replace ``manual_therapy`` components by the condition's indicated techniques."""
        comps = []
        for c in self.session.components:
            if c.kind != "manual_therapy":
                comps.append(c)
                continue
            for tech, (share, grade) in condition.manual_therapy.items():
                if share > 0:
                    comps.append(Component(tech, c.minutes * share, grade))
        return replace(self, session=Session(tuple(comps), self.session.minutes))

    def __str__(self) -> str:
        home = "none"
        if self.home is not None:
            h = self.home
            home = (
                f"{h.days_per_week:g}x/week {h.minutes:g} min in care, "
                f"{h.after_discharge_days_per_week:g}x/week after discharge"
            )
        return (
            f"{self.name}: {self.sessions_per_week}x/week for {self.weeks} weeks, "
            f"{self.session.minutes:g}-min sessions [{self.session}]; home programme: {home}"
        )


PLAN_NAMES = (
    "usual_care",
    "massage_only",
    "manual_only",
    "exercise_only",
    "combined",
    "combined_reversed",
)


def standard_plans(
    sessions_per_week: int = 2, weeks: int = 6, session_minutes: float = 45.0
) -> dict[str, Plan]:
    """The six standard plans of DESIGN section 2, with the same visits and session length.

    Every treated session starts with 5 minutes of education, so plans differ only in what fills
    the other 40 minutes. In ``combined`` the 40 minutes are split 15 manual / 25 exercise: the
    same time budget gives less of each (M8).

    Parameters
    ----------
    sessions_per_week, weeks : int
        Clinic visits a week and weeks of care (defaults: 2 a week for 6 weeks). The home programme
        runs on the other days, five a week at most.
    session_minutes : float
        Length of a session (minutes, at least 10); the manual and exercise minutes scale with it.
    """
    _finite(session_minutes, "session_minutes", 10, 600)
    edu = Component("education", 5)
    work = session_minutes - 5
    manual, ex = 15 / 40 * work, 25 / 40 * work
    # Home sessions fill the days without a clinic visit, five a week at most.
    home = HomeProgramme(
        days_per_week=min(5, 7 - _finite(sessions_per_week, "sessions_per_week", 0, 7, integer=True))
    )
    spec = {
        "usual_care": ((), None, "no treatment: the natural history of the condition"),
        "massage_only": (
            (edu, Component("massage", work)),
            None,
            "general relaxation massage: relief without a targeted tissue effect",
        ),
        "manual_only": (
            (edu, Component("manual_therapy", work)),
            None,
            "the condition's indicated manual techniques, no exercise",
        ),
        "exercise_only": (
            (edu, Component("exercise", work)),
            home,
            "supervised exercise plus a home programme",
        ),
        "combined": (
            (edu, Component("manual_therapy", manual), Component("exercise", ex)),
            home,
            "manual therapy, then exercise through the new range, plus a home programme",
        ),
        "combined_reversed": (
            (edu, Component("exercise", ex), Component("manual_therapy", manual)),
            home,
            "exercise first, then manual therapy (same minutes as combined), plus a home programme",
        ),
    }
    plans = {}
    for name, (comps, hp, desc) in spec.items():
        spw = 0 if name == "usual_care" else sessions_per_week
        plans[name] = Plan(name, Session(comps, session_minutes), spw, weeks, hp, desc)
    return plans


def load_plan(path: str | Path) -> Plan:
    """Read a plan from a TOML file.

    The file has ``name``, ``description``, ``sessions_per_week``, ``weeks``, a ``[session]`` table
    with ``minutes`` and an array of ``[[session.components]]`` (``kind``, ``minutes``,
    ``intensity``), and optionally a ``[home]`` table with the fields of :class:`HomeProgramme`.
    Errors name the file and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"plan file not found: {path}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    return plan_from_dict(doc, str(path))


def plan_from_dict(doc: dict, filename: str = "<dict>") -> Plan:
    """Build a plan from a dict shaped like the TOML file of :func:`load_plan`."""
    key = "session"
    try:
        sess = doc.get("session", {})
        comps = []
        for i, c in enumerate(sess.get("components", [])):
            key = f"session.components[{i}]"
            unknown = set(c) - {"kind", "minutes", "intensity"}
            if unknown:
                raise ValueError(f"unknown key {sorted(unknown)[0]!r}; accepted: kind, minutes, intensity")
            comps.append(Component(c.get("kind"), c.get("minutes"), c.get("intensity")))
        key = "session"
        session = Session(tuple(comps), sess.get("minutes", 45.0))
        home = None
        if "home" in doc:
            key = "home"
            home = HomeProgramme(**doc["home"])
        key = "plan"
        unknown = set(doc) - {"name", "description", "sessions_per_week", "weeks", "session", "home"}
        if unknown:
            key = sorted(unknown)[0]
            raise ValueError(
                "unknown key; accepted: name, description, sessions_per_week, weeks, session, home"
            )
        return Plan(
            name=doc.get("name", Path(filename).stem),
            session=session,
            sessions_per_week=doc.get("sessions_per_week", 2),
            weeks=doc.get("weeks", 6),
            home=home,
            description=doc.get("description", ""),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{filename}: key '{key}': {exc}") from None


def get_plan(plan: str | Path | Plan) -> Plan:
    """A plan from a :class:`Plan`, a standard plan name, or a path to a TOML file."""
    if isinstance(plan, Plan):
        return plan
    if isinstance(plan, str) and plan in PLAN_NAMES:
        return standard_plans()[plan]
    if isinstance(plan, Path) or (isinstance(plan, str) and plan.endswith(".toml")):
        return load_plan(plan)
    raise ValueError(
        f"unknown plan {plan!r}; accepted: {', '.join(PLAN_NAMES)}, a Plan, or a path to a .toml file"
    )

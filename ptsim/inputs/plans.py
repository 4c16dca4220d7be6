"""Treatment plans as data: sessions made of ordered components, a home programme and follow-up.

A plan says how often the patient comes to clinic and for how long, what each session holds in
order (which matters: DESIGN M2), what the patient does at home during care and after discharge,
and how many minutes a session lasts (the time budget, M8). Plans are plain frozen dataclasses,
so they can be built in Python, read from TOML and compared.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ptsim.core.techniques import GRADED_TECHNIQUES, TECHNIQUES
from ptsim.inputs.memory import check_memory
from ptsim.inputs.toml_io import check_keys, describe, read_toml

COMPONENT_KINDS = (*TECHNIQUES, "manual_therapy", "exercise", "education", "rest")
"""Accepted component kinds. ``manual_therapy`` stands for the condition's indicated techniques
(its ``[manual_therapy]`` table), split by their shares when the plan meets a condition."""

HANDS_ON = (*TECHNIQUES, "manual_therapy")
"""Hands-on component kinds: every technique of the techniques table and the generic manual therapy."""

GRADED = (*GRADED_TECHNIQUES, "manual_therapy")
"""Kinds that take a Maitland grade (``intensity`` 1-4, default 3): ``graded`` in the techniques table."""


SCHEDULE_BYTES_PER_DAY = 16
"""Memory of :meth:`Plan.day_schedule` per day: a session index and a home frequency (8 bytes each)."""

PLAN_NAME_PATTERN = re.compile(r"\w[\w .,:()+/&-]{0,63}")
"""Accepted plan names: a letter, digit or underscore, then up to 63 letters, digits, spaces and
``_ . , : ( ) + / & -``. Names go into output CSV files, where a leading ``= + - @`` (or a tab or
line break) would make a spreadsheet run the cell as a formula."""


def check_plan_name(name) -> str:
    """A plan name in the safe character set of :data:`PLAN_NAME_PATTERN`, or ``ValueError``."""
    if not isinstance(name, str) or not PLAN_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"plan name must be 1-64 characters: a letter, digit or underscore first, then letters, "
            f"digits, spaces or _ . , : ( ) + / & - (no formulas in output files), got {describe(name)}"
        )
    return name


def _spread(sessions_per_week: int) -> tuple[int, ...]:
    """Days of the week (0-6) of ``sessions_per_week`` visits spread evenly (two: days 0 and 3)."""
    n = sessions_per_week
    return tuple(int(k * 7 // n) for k in range(n)) if n else ()


def _finite(value, name, low=0.0, high=math.inf, strict_low=False, integer=False):
    if hasattr(value, "item") and not isinstance(value, bool):
        value = value.item() if getattr(value, "ndim", 1) == 0 else value  # numpy scalars
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {describe(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {describe(value)}")
    if integer and value != int(value):
        raise ValueError(f"{name} must be a whole number, got {describe(value)}")
    too_low = value <= low if strict_low else value < low
    if too_low or value > high:
        rng = f"{'(' if strict_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {rng}, got {describe(value)}")
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
        For graded hands-on techniques the Maitland grade 1-4 (default 3; a technique the techniques
        table marks ungraded, such as massage, takes none); for
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
        if self.kind in TECHNIQUES and self.kind not in GRADED:
            if self.intensity is not None:
                raise ValueError(f"{self.kind}: intensity is not used (no Maitland grade for this technique)")
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
        if self.kind in GRADED and self.intensity is not None:
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
        if isinstance(self.components, Component):
            raise ValueError(
                "session components must be a tuple of Component objects, got one Component; "
                "write Session((component,)) or Session([component])"
            )
        if isinstance(self.components, str) or not hasattr(self.components, "__iter__"):
            raise ValueError(
                f"session components must be a tuple of Component objects, got {describe(self.components)}"
            )
        comps = tuple(self.components)
        for c in comps:
            if not isinstance(c, Component):
                raise ValueError(f"session components must be Component objects, got {c!r}")
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "minutes", _finite(self.minutes, "session minutes", 0, 600, True))
        used = self.component_minutes
        if used > self.minutes + 1e-9:
            raise ValueError(
                f"session components take {used:g} min but the session lasts {self.minutes:g} min; "
                "shorten a component or lengthen the session"
            )

    @property
    def component_minutes(self) -> float:
        """Minutes the components take (the session may last longer: its ``minutes``)."""
        return sum(c.minutes for c in self.components)

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
    after_discharge_adherence_decay_per_year : float, optional
        How fast engagement with home exercise declines (per year, 0-10): each night it is
        multiplied by ``exp(-rate / 365)`` and each supervised visit restores
        ``visit_engagement_restore_frac`` of what was lost (model v3), so after the last visit
        adherence falls as ``exp(-rate x years since discharge)``. None (default) takes the
        condition's model parameter ``home_adherence_decay_per_year``; 0 holds it forever.
    """

    days_per_week: float = 5
    minutes: float = 20
    intensity: float = 0.6
    after_discharge_days_per_week: float = 3
    after_discharge_adherence_factor: float = 0.5
    after_discharge_adherence_decay_per_year: float | None = None

    def __post_init__(self):
        _finite(self.days_per_week, "home days_per_week", 0, 7)
        _finite(self.minutes, "home minutes", 0, 600, strict_low=True)
        _finite(self.intensity, "home intensity (share of maximal effort)", 0, 1, strict_low=True)
        _finite(self.after_discharge_days_per_week, "home after_discharge_days_per_week", 0, 7)
        _finite(self.after_discharge_adherence_factor, "home after_discharge_adherence_factor", 0, 1)
        if self.after_discharge_adherence_decay_per_year is not None:
            _finite(
                self.after_discharge_adherence_decay_per_year,
                "home after_discharge_adherence_decay_per_year (per year)",
                0,
                10,
            )


@dataclass(frozen=True)
class Phase:
    """A block of care: weeks of visits at one frequency (or on given days), with one session.

    Parameters
    ----------
    weeks : int
        Length of the phase (whole weeks, >= 1).
    sessions_per_week : int, optional
        Clinic visits a week (0-7), spread over the week as in :attr:`Plan.visit_weekdays`. Give this
        or ``visit_days``.
    visit_days : tuple of int, optional
        Visit days counted from the first day of the phase (each in ``[0, 7 * weeks)``, distinct).
    session : Session, optional
        What each visit of this phase holds (default: the plan's session).
    home_days_per_week : float, optional
        Scheduled home sessions a week during this phase, on days without a visit (default: the plan's
        home programme; 0 for none). The home session's minutes and effort are the plan's.
    label : str
        A name for people, e.g. ``"manual therapy block"``.
    """

    weeks: int
    sessions_per_week: int | None = None
    visit_days: tuple[int, ...] | None = None
    session: Session | None = None
    home_days_per_week: float | None = None
    label: str = ""

    def __post_init__(self):
        weeks = _finite(self.weeks, "phase weeks", 1, 520, integer=True)
        object.__setattr__(self, "weeks", weeks)
        if (self.sessions_per_week is None) == (self.visit_days is None):
            raise ValueError(
                f"phase {self.label or ''}: give exactly one of sessions_per_week (0-7) or visit_days "
                f"(days from the phase start), got sessions_per_week={self.sessions_per_week!r}, "
                f"visit_days={self.visit_days!r}"
            )
        if self.sessions_per_week is not None:
            spw = _finite(self.sessions_per_week, "phase sessions_per_week", 0, 7, integer=True)
            object.__setattr__(self, "sessions_per_week", spw)
        else:
            if isinstance(self.visit_days, str) or not hasattr(self.visit_days, "__iter__"):
                raise ValueError(f"phase visit_days must be a list of whole days, got {self.visit_days!r}")
            given: tuple[int, ...] = tuple(self.visit_days or ())
            days = tuple(_finite(d, "phase visit_days", 0, 7 * weeks - 1, integer=True) for d in given)
            if len(set(days)) != len(days):
                raise ValueError(f"phase visit_days has a repeated day: {list(days)}")
            object.__setattr__(self, "visit_days", tuple(sorted(days)))
        if self.session is not None and not isinstance(self.session, Session):
            raise ValueError(f"phase session must be a Session or None, got {self.session!r}")
        if self.home_days_per_week is not None:
            _finite(self.home_days_per_week, "phase home_days_per_week", 0, 7)

    def visits(self) -> tuple[int, ...]:
        """Visit days counted from the phase start."""
        if self.visit_days is not None:
            return self.visit_days
        weekdays = _spread(self.sessions_per_week or 0)
        return tuple(7 * w + k for w in range(self.weeks) for k in weekdays)

    def __str__(self) -> str:
        if self.visit_days is not None:
            visits = f"visits on days {list(self.visit_days)}"
        else:
            visits = f"{self.sessions_per_week}x/week"
        head = f"{self.label}: " if self.label else ""
        return f"{head}{self.weeks} weeks, {visits}" + (f" [{self.session}]" if self.session else "")


@dataclass(frozen=True)
class Schedule:
    """When a patient is seen: phases of care back to back, then booster visits after discharge.

    Parameters
    ----------
    phases : tuple of Phase
        Run in order from day 0; discharge is the day after the last phase ends (``7 *`` total weeks).
    booster_days : tuple of int
        Days (counted from day 0) of booster visits after discharge, e.g. ``(91, 182)`` for months 3
        and 6. Each must be on or after discharge.
    booster_session : Session, optional
        What a booster visit holds (default: the session of the last phase).
    """

    phases: tuple[Phase, ...]
    booster_days: tuple[int, ...] = ()
    booster_session: Session | None = None

    def __post_init__(self):
        if isinstance(self.phases, Phase):
            raise ValueError("schedule phases must be a list of Phase objects, got a single Phase")
        phases = tuple(self.phases)
        if not phases:
            raise ValueError("schedule phases is empty; give at least one Phase")
        for ph in phases:
            if not isinstance(ph, Phase):
                raise ValueError(f"schedule phases must be Phase objects, got {ph!r}")
        object.__setattr__(self, "phases", phases)
        weeks = sum(ph.weeks for ph in phases)
        if isinstance(self.booster_days, str) or not hasattr(self.booster_days, "__iter__"):
            raise ValueError(f"schedule booster_days must be a list of whole days, got {self.booster_days!r}")
        boosters = tuple(
            _finite(d, "schedule booster_days", 0, 36500, integer=True) for d in self.booster_days
        )
        early = [d for d in boosters if d < 7 * weeks]
        if early:
            raise ValueError(
                f"schedule booster_days {early} fall within care (the phases end on day {7 * weeks}); "
                f"booster days must be >= {7 * weeks}, or add a phase"
            )
        if len(set(boosters)) != len(boosters):
            raise ValueError(f"schedule booster_days has a repeated day: {list(boosters)}")
        object.__setattr__(self, "booster_days", tuple(sorted(boosters)))
        if self.booster_session is not None and not isinstance(self.booster_session, Session):
            raise ValueError(
                f"schedule booster_session must be a Session or None, got {self.booster_session!r}"
            )

    @property
    def weeks(self) -> int:
        """Weeks of care (all phases)."""
        return sum(ph.weeks for ph in self.phases)

    def __str__(self) -> str:
        text = "; then ".join(map(str, self.phases))
        if self.booster_days:
            text += f"; boosters on days {list(self.booster_days)}"
        return text


@dataclass(frozen=True)
class DaySchedule:
    """A plan laid out day by day (see :meth:`Plan.day_schedule`).

    Attributes
    ----------
    sessions : tuple of Session
        The distinct sessions of the plan.
    session_index : (days + 1,) int array
        Index into ``sessions`` of each day's clinic session; -1 = no visit.
    home_frequency : (days + 1,) float array
        Scheduled home sessions per day on days in care without a visit (0-1), 0 otherwise. After
        discharge the engine applies the plan's maintenance programme.
    discharge_day : int
    """

    sessions: tuple
    session_index: np.ndarray
    home_frequency: np.ndarray
    discharge_day: int

    @property
    def clinic(self) -> np.ndarray:
        """Days with a clinic visit, (days + 1,) bool."""
        return self.session_index >= 0


@dataclass(frozen=True)
class Plan:
    """A course of care.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"combined"``.
    session : Session or None
        What every clinic session holds (with a ``schedule``: the session of phases that name none;
        may be None when every phase names its own).
    sessions_per_week : int, optional
        Clinic visits a week (0-7; default 2); visits are spread over the week (two: days 0 and 3).
        Leave out (None) when you give a ``schedule``.
    weeks : int, optional
        Weeks of care (default 6); discharge is on day ``7 * weeks``. With a ``schedule`` it is the
        schedule's total weeks (leave it out or give that number).
    home : HomeProgramme or None
        The home exercise programme, or None for none.
    description : str
        One line for people.
    schedule : Schedule, optional
        Phases of care (each with its visit frequency or visit days, session and home days) and
        booster visits after discharge, instead of ``sessions_per_week`` and ``weeks``.
    """

    name: str
    session: Session  # None is accepted with a schedule whose phases all name a session
    sessions_per_week: int | None = None  # None with a schedule
    weeks: int = None  # type: ignore[assignment]  # set in __post_init__ (default 6, or the schedule's)
    home: HomeProgramme | None = None
    description: str = ""
    schedule: Schedule | None = None

    def __post_init__(self):
        check_plan_name(self.name)
        if self.home is not None and not isinstance(self.home, HomeProgramme):
            raise ValueError(f"plan {self.name!r}: home must be a HomeProgramme or None, got {self.home!r}")
        if self.schedule is not None:
            self._check_schedule()
            return
        if not isinstance(self.session, Session):
            raise ValueError(f"plan {self.name!r}: session must be a Session, got {self.session!r}")
        spw = 2 if self.sessions_per_week is None else self.sessions_per_week
        spw = _finite(spw, "sessions_per_week", 0, 7, integer=True)
        object.__setattr__(self, "sessions_per_week", spw)
        weeks = 6 if self.weeks is None else self.weeks
        weeks = _finite(weeks, "weeks", 0, 520, integer=True)
        object.__setattr__(self, "weeks", weeks)
        if self.session.components and (spw == 0 or weeks == 0):
            zero = "sessions_per_week is 0" if spw == 0 else "weeks is 0"
            raise ValueError(
                f"plan {self.name!r}: the session holds treatment ({self.session}) but {zero}, so it "
                "would never be given; give at least 1 session a week for at least 1 week, or an empty "
                "Session(()) for no clinic care"
            )
        if self.home is not None and spw + self.home.days_per_week > 7:
            raise ValueError(
                f"plan {self.name!r}: {spw} clinic sessions plus {self.home.days_per_week:g} home "
                "days a week exceed 7 days; home sessions are on days without a clinic visit"
            )

    def _check_schedule(self):
        sch = self.schedule
        if not isinstance(sch, Schedule):
            raise ValueError(f"plan {self.name!r}: schedule must be a Schedule or None, got {sch!r}")
        if self.sessions_per_week is not None:
            raise ValueError(
                f"plan {self.name!r}: give sessions_per_week in the schedule's phases, not beside a "
                "schedule (leave sessions_per_week out)"
            )
        if self.weeks is not None and self.weeks != sch.weeks:
            raise ValueError(
                f"plan {self.name!r}: weeks={self.weeks!r} disagrees with the schedule's {sch.weeks} "
                "weeks of phases; leave weeks out when you give a schedule"
            )
        object.__setattr__(self, "weeks", sch.weeks)
        if self.session is not None and not isinstance(self.session, Session):
            raise ValueError(f"plan {self.name!r}: session must be a Session or None, got {self.session!r}")
        for i, ph in enumerate(sch.phases):
            if ph.session is None and self.session is None:
                raise ValueError(
                    f"plan {self.name!r}: schedule phase {i} names no session and the plan has none; "
                    "give the phase a session or the plan a session"
                )
            session = ph.session or self.session
            if not ph.visits() and session is not None and session.components:
                zero = "visit_days is empty" if ph.visit_days is not None else "sessions_per_week is 0"
                raise ValueError(
                    f"plan {self.name!r}: schedule phase {i} has no visits ({zero}) but its session holds "
                    f"treatment ({session}), so it would never be given; give the phase visits, or an "
                    "empty session (Session(()); in a file: session = { components = [] }) for a phase "
                    "of home exercise only or a pause in care"
                )
            home_days = ph.home_days_per_week
            if home_days is not None and home_days > 0 and self.home is None:
                raise ValueError(
                    f"plan {self.name!r}: schedule phase {i} asks for {home_days:g} home days a week "
                    "but the plan has no home programme (give the plan a home programme)"
                )
            if home_days is None:
                home_days = self.home.days_per_week if self.home is not None else 0.0
            visits = np.asarray(ph.visits(), dtype=int)
            for w in range(ph.weeks):
                free = 7 - int(np.count_nonzero(visits // 7 == w))
                if home_days > free:
                    raise ValueError(
                        f"plan {self.name!r}: schedule phase {i}, week {w}: {7 - free} visits plus "
                        f"{home_days:g} home days exceed 7 days; home sessions are on days without a visit"
                    )
        if self.session is None:
            object.__setattr__(self, "session", sch.phases[0].session)

    @property
    def discharge_day(self) -> int:
        """Day of discharge: the end of care (day 0 is the first session)."""
        return 7 * self.weeks

    @property
    def visit_weekdays(self) -> tuple[int, ...]:
        """Days of the week (0-6) with a clinic visit, spread evenly (a plan without a schedule)."""
        if self.schedule is not None:
            raise ValueError(f"plan {self.name!r} has a schedule: see plan.day_schedule(days)")
        return _spread(self.sessions_per_week or 0)

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The plan's phases: its schedule's, or one phase of ``sessions_per_week`` for ``weeks``."""
        if self.schedule is not None:
            return self.schedule.phases
        if self.weeks == 0:
            return ()
        return (Phase(self.weeks, sessions_per_week=self.sessions_per_week or 0),)

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The distinct clinic sessions of the plan, in order of first use."""
        out: list[Session] = [self.session]
        if self.schedule is not None:
            out = [ph.session or self.session for ph in self.schedule.phases]
            if self.schedule.booster_days:
                out.append(self._booster_session())
        return tuple(dict.fromkeys(out))

    def _booster_session(self) -> Session:
        sch = self.schedule
        assert sch is not None  # only plans with a schedule have boosters
        return sch.booster_session or sch.phases[-1].session or self.session

    def day_schedule(self, days: int) -> DaySchedule:
        """The plan laid out over days ``0..days``: each day's clinic session and home frequency.

        In each week of a phase, home sessions are spread over the days without a visit: each such
        day has a scheduled home session with probability ``home days / free days``.

        Parameters
        ----------
        days : int
            The last day (>= 0); the schedule covers ``days + 1`` days.

        Raises
        ------
        ValueError
            For ``days`` that is not a whole number >= 0, or a schedule too long for the memory
            available (``SCHEDULE_BYTES_PER_DAY`` per day).
        """
        if isinstance(days, float) and float.is_integer(days):
            days = int(days)
        if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 0:
            raise ValueError(f"day_schedule: days must be a whole number >= 0, got {describe(days)}")
        days = int(days)
        check_memory(
            SCHEDULE_BYTES_PER_DAY * (days + 1),
            f"day_schedule: days={days}",
            f"{SCHEDULE_BYTES_PER_DAY} bytes per day",
            advice="use fewer days",
        )
        sessions = self.sessions
        code = {s: i for i, s in enumerate(sessions)}
        index = np.full(days + 1, -1, dtype=np.int64)
        freq = np.zeros(days + 1)
        start = 0
        for ph in self.phases:
            session = ph.session or self.session
            home_days = ph.home_days_per_week
            if home_days is None:
                home_days = self.home.days_per_week if self.home is not None else 0.0
            visits = np.asarray(ph.visits(), dtype=np.int64)
            for w in range(ph.weeks):
                lo = start + 7 * w
                if lo > days:
                    break
                week = np.zeros(7, dtype=bool)
                week[visits[visits // 7 == w] % 7] = True
                hi = min(lo + 7, days + 1)
                index[lo:hi][week[: hi - lo]] = code[session]
                free = 7 - int(week.sum())
                if home_days > 0 and free > 0:
                    freq[lo:hi][~week[: hi - lo]] = home_days / free
            start += 7 * ph.weeks
        if self.schedule is not None:
            for d in self.schedule.booster_days:
                if d <= days:
                    index[d] = code[self._booster_session()]
        return DaySchedule(sessions, index, freq, self.discharge_day)

    def with_(self, **changes) -> Plan:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def resolve(self, condition) -> Plan:
        """Replace ``manual_therapy`` components by the condition's indicated techniques."""

        def resolved(session):
            if session is None:
                return None
            comps = []
            for c in session.components:
                if c.kind != "manual_therapy":
                    comps.append(c)
                    continue
                for tech, (share, grade) in condition.manual_therapy.items():
                    if share > 0:
                        comps.append(Component(tech, c.minutes * share, grade))
            return Session(tuple(comps), session.minutes)

        schedule = self.schedule
        if schedule is not None:
            phases = tuple(replace(ph, session=resolved(ph.session)) for ph in schedule.phases)
            schedule = replace(schedule, phases=phases, booster_session=resolved(schedule.booster_session))
        return replace(self, session=resolved(self.session), schedule=schedule)

    def __str__(self) -> str:
        home = "none"
        if self.home is not None:
            h = self.home
            home = (
                f"{h.days_per_week:g}x/week {h.minutes:g} min in care, "
                f"{h.after_discharge_days_per_week:g}x/week after discharge"
            )
        if self.schedule is not None:
            return (
                f"{self.name}: {self.weeks} weeks in phases: {self.schedule}; default session "
                f"[{self.session}]; home programme: {home}"
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
    # A standard plan with treatment needs visits: 0 a week or 0 weeks would silently be no care.
    _finite(sessions_per_week, "sessions_per_week (standard plans)", 1, 7, integer=True)
    _finite(weeks, "weeks (standard plans)", 1, 520, integer=True)
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
    Instead of ``sessions_per_week`` and ``weeks`` it may have a ``[schedule]`` table (see
    :class:`Schedule`): ``booster_days``, an optional ``[schedule.booster_session]`` and
    ``[[schedule.phases]]`` tables with ``weeks``, ``sessions_per_week`` or ``visit_days``,
    optionally ``label``, ``home_days_per_week`` and a ``[schedule.phases.session]``.
    Errors name the file and the key; unknown keys, a plan without a ``[session]`` or a schedule, and a
    plan without components or a home programme are errors (the no-treatment plan is the standard plan
    ``usual_care``).
    """
    path = Path(path)
    return plan_from_dict(read_toml(path, "plan file"), str(path))


PLAN_KEYS = ("name", "description", "sessions_per_week", "weeks", "session", "home", "schedule")
"""Accepted top-level keys of a plan TOML file."""
SESSION_KEYS = ("minutes", "components")
COMPONENT_KEYS = ("kind", "minutes", "intensity")
HOME_KEYS = tuple(f.name for f in fields(HomeProgramme))
_COMPONENT_FORM = '{ kind = "exercise", minutes = 20, intensity = 0.7 }'
SCHEDULE_KEYS = ("phases", "booster_days", "booster_session")
PHASE_KEYS = ("weeks", "sessions_per_week", "visit_days", "session", "home_days_per_week", "label")


def _and(words) -> str:
    """``a, b and c``."""
    words = list(words)
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def _table(node, filename: str, key: str, accepted) -> dict:
    """``node`` as a table whose keys are all in ``accepted``, or ``ValueError`` naming file and key."""
    if not isinstance(node, dict):
        raise ValueError(
            f"{filename}: key '{key}': expected a table with {_and(accepted)}, got {describe(node)}"
        )
    check_keys(node, accepted, filename, key)
    return node


def _session_from_dict(sess, key: str, filename: str, empty_ok: bool = False) -> Session:
    """A session table; without components only when ``empty_ok`` (a plan with a home programme)."""
    _table(sess, filename, key, SESSION_KEYS)
    raw = sess.get("components")
    if not isinstance(raw, list) or not (raw or empty_ok):
        raise ValueError(
            f"{filename}: key '{key}.components': expected a list of components such as "
            f"[{_COMPONENT_FORM}] (empty only for a plan with a [home] programme), got {describe(raw)}; "
            "the no-treatment plan is the standard plan 'usual_care'"
        )
    comps = []
    for i, c in enumerate(raw):
        ckey = f"{key}.components[{i}]"
        if not isinstance(c, dict):
            raise ValueError(
                f"{filename}: key '{ckey}': expected a table such as {_COMPONENT_FORM}, got {describe(c)}"
            )
        check_keys(c, COMPONENT_KEYS, filename, ckey)
        try:
            # Component checks each value and names what it accepts (None included).
            comps.append(Component(c.get("kind"), c.get("minutes"), c.get("intensity")))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"{filename}: key '{ckey}': {exc}") from None
    try:
        return Session(tuple(comps), sess.get("minutes", 45.0))
    except ValueError as exc:
        raise ValueError(f"{filename}: key '{key}': {exc}") from None


def _schedule_from_dict(sch, filename: str) -> Schedule:
    _table(sch, filename, "schedule", SCHEDULE_KEYS)
    phases = []
    raw = sch.get("phases")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{filename}: key 'schedule.phases': give at least one [[schedule.phases]] table")
    for i, ph in enumerate(raw):
        key = f"schedule.phases[{i}]"
        _table(ph, filename, key, PHASE_KEYS)
        if "weeks" not in ph:
            raise ValueError(
                f"{filename}: key '{key}.weeks': missing; each phase needs weeks (whole weeks >= 1)"
            )
        session = None
        if "session" in ph:  # empty: a phase of home exercise only, or a pause in care
            session = _session_from_dict(ph["session"], f"{key}.session", filename, empty_ok=True)
        try:
            phases.append(
                Phase(
                    weeks=ph["weeks"],
                    sessions_per_week=ph.get("sessions_per_week"),
                    visit_days=ph.get("visit_days"),
                    session=session,
                    home_days_per_week=ph.get("home_days_per_week"),
                    label=ph.get("label", ""),
                )
            )
        except ValueError as exc:
            raise ValueError(f"{filename}: key '{key}': {exc}") from None
    booster = None
    if "booster_session" in sch:
        booster = _session_from_dict(sch["booster_session"], "schedule.booster_session", filename)
    try:
        return Schedule(tuple(phases), sch.get("booster_days", ()), booster)
    except ValueError as exc:
        raise ValueError(f"{filename}: key 'schedule': {exc}") from None


def plan_from_dict(doc: dict, filename: str = "<dict>") -> Plan:
    """Build a plan from a dict shaped like the TOML file of :func:`load_plan`."""
    if not isinstance(doc, dict) or not doc:
        raise ValueError(
            f"{filename}: the plan is empty; expected {', '.join(PLAN_KEYS)} and a [session] table with "
            "components, or a [schedule] (the no-treatment plan is the standard plan 'usual_care')"
        )
    check_keys(doc, PLAN_KEYS, filename)
    schedule = _schedule_from_dict(doc["schedule"], filename) if "schedule" in doc else None
    if schedule is None and "session" not in doc:
        raise ValueError(
            f"{filename}: key 'session': missing; expected a table with minutes and components, e.g. "
            f"components = [{_COMPONENT_FORM}] (or a [schedule] with phases)"
        )
    if schedule is not None:
        for k in ("sessions_per_week", "weeks"):
            if k in doc:
                raise ValueError(
                    f"{filename}: key '{k}': give it in the [[schedule.phases]] tables, not beside [schedule]"
                )
    session = None
    if "session" in doc:
        session = _session_from_dict(doc["session"], "session", filename, empty_ok="home" in doc)
    key = "plan"
    try:
        home = None
        if "home" in doc:
            key = "home"
            if not isinstance(doc["home"], dict):
                raise ValueError(f"expected a table with {', '.join(HOME_KEYS)}, got {describe(doc['home'])}")
            check_keys(doc["home"], HOME_KEYS, filename, "home")
            home = HomeProgramme(**doc["home"])
        key = "name"
        name = doc.get("name", Path(filename).stem)
        check_plan_name(name)
        key = "description"
        description = doc.get("description", "")
        if not isinstance(description, str):
            raise ValueError(f"expected a string, got {describe(description)}")
        key = "plan"
        return Plan(
            name=name,
            session=session,  # type: ignore[arg-type]  # None: every phase names its session
            sessions_per_week=doc.get("sessions_per_week"),
            weeks=doc.get("weeks"),  # type: ignore[arg-type]  # None: the default or the schedule's
            home=home,
            description=description,
            schedule=schedule,
        )
    except ValueError as exc:
        if str(exc).startswith(f"{filename}: "):
            raise
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

"""Cron schedules as the Kubernetes CronJob controller reads them: robfig/cron v3's standard parser (five
fields or a descriptor). croniter accepts more (day-of-week 7, L, W, #, reversed ranges), which the API
server would reject, so the rules are checked here, one field at a time."""

from __future__ import annotations

import re

from shipform.errors import ShipformError
from shipform.values import checks

DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
"""The macros Kubernetes accepts (it has no @reboot)."""

MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))}
WEEKDAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
NO_NAMES: dict[str, int] = {}
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (("minute", 0, 59, NO_NAMES), ("hour", 0, 23, NO_NAMES),
                                                          ("day of month", 1, 31, NO_NAMES), ("month", 1, 12, MONTHS),
          ("day of week", 0, 6, WEEKDAYS))
FIX = "use five fields 'minute hour day-of-month month day-of-week' (e.g. '0 6 * * *', day of week 0-6) or a " \
      "macro like '@daily'"
_NUMBER = re.compile(r"[0-9]+")


def validate_schedule(path: str, prop: str, schedule: object) -> str:
    if not isinstance(schedule, str):
        raise ShipformError(path, prop, "must be a cron string", schedule, FIX)
    if not schedule.isprintable():  # the controller splits on any space, so the CronJob would keep the newline
        raise ShipformError(path, prop, "must be one line without control characters", schedule, FIX)
    if schedule.startswith("@"):
        if schedule not in DESCRIPTORS:
            raise ShipformError(path, prop, f"macro must be one of {', '.join(DESCRIPTORS)}", schedule, FIX)
        return schedule
    fields = schedule.split()
    if len(fields) != 5:
        raise ShipformError(path, prop, f"has {len(fields)} fields, not 5", schedule, FIX)
    for text, (name, low, high, names) in zip(fields, FIELDS, strict=True):
        for part in text.split(","):
            problem = _part_problem(part, low, high, names)
            if problem:
                raise ShipformError(path, prop, f"{name} field '{text}': {problem}", schedule, FIX)
    return schedule


def _part_problem(part: str, low: int, high: int, names: dict[str, int]) -> str | None:
    """Why robfig/cron refuses one comma-separated part of a field, or None."""
    span, _, step = part.partition("/")
    if step and (not checks.matches(_NUMBER, step) or int(step) == 0):
        return f"step '{step}' must be a positive number"
    if span in ("*", "?"):
        return None
    first, dash, last = span.partition("-")
    start, end = _value(first, names), _value(last, names) if dash else None
    if start is None or (dash and end is None):
        return f"'{span}' is not a number or a range of numbers"
    stop = end if end is not None else (high if step else start)
    if not (low <= start <= high and low <= stop <= high):
        return f"'{span}' is outside {low}-{high}"
    if start > stop:
        return f"range '{span}' runs backwards"
    return None


def _value(text: str, names: dict[str, int]) -> int | None:
    if checks.matches(_NUMBER, text):
        return int(text)
    return names.get(text.lower())


WORKFLOW_FIX = "use five fields 'minute hour day-of-month month day-of-week' in UTC (e.g. '23 4 * * 1', Mondays 04:23)"


def validate_workflow_schedule(path: str, prop: str, schedule: object) -> str:
    """A GitHub Actions ``on.schedule`` cron: five POSIX fields with ``* , - /`` (GitHub's workflow syntax), in
    UTC; no macro and no '?', which GitHub does not take, and each field by the rules above."""
    if isinstance(schedule, str) and (schedule.startswith("@") or "?" in schedule):
        raise ShipformError(path, prop, "must be five cron fields: GitHub Actions takes no macro and no '?'",
                            schedule, WORKFLOW_FIX)
    try:
        return validate_schedule(path, prop, schedule)
    except ShipformError as err:
        raise ShipformError(path, prop, err.problem, schedule, WORKFLOW_FIX) from None

"""Schedules are checked by the CronJob controller's own parser rules (robfig/cron v3, standard)."""

from __future__ import annotations

import pytest

from shipform.errors import ShipformError
from shipform.values.cron import validate_schedule, validate_workflow_schedule

VALID = ["0 6 * * *", "*/15 * * * *", "0 0 1 1 *", "0 0 * * 0", "0 0 * * 6", "0 0 * * SUN", "0 0 * jan-mar mon-fri",
         "5,10,15 * * * *", "0-30/5 * * * *", "10/5 * * * *", "? * * * *", "0 0 ? * ?", "59 23 31 12 6",
         "0 0 * * Sat", "@daily", "@midnight", "@hourly", "@weekly", "@monthly", "@yearly", "@annually"]
INVALID = [
    ("0 0 * * 7", "day of week"),  # croniter takes 7 as Sunday; robfig does not
    ("0 0 L * *", "day of month"), ("0 0 1W * *", "day of month"), ("0 0 * * 1#2", "day of week"),
    ("30-10 * * * *", "backwards"), ("60 * * * *", "outside"), ("* 24 * * *", "outside"), ("* * 0 * *", "outside"),
    ("* * * 13 *", "outside"), ("*/0 * * * *", "step"), ("*/x * * * *", "step"), ("@reboot", "macro"),
    ("@every 1h", "macro"), ("* * * *", "4 fields"), ("0 * * * * *", "6 fields"), ("a * * * *", "minute"),
    ("1-2-3 * * * *", "minute"), ("1,,2 * * * *", "minute"), ("", "0 fields"), ("TZ=UTC 0 0 * * *", "6 fields"),
    ("0 0 * foo *", "month"), ("-1 * * * *", "minute"),
]


@pytest.mark.parametrize("schedule", VALID)
def test_schedules_the_controller_accepts_pass(schedule):
    assert validate_schedule("shop/dev/report", "schedule", schedule) == schedule


@pytest.mark.parametrize(("schedule", "problem"), INVALID, ids=[c[0] or "empty" for c in INVALID])
def test_schedules_the_controller_refuses_are_errors_naming_the_field(schedule, problem):
    with pytest.raises(ShipformError) as caught:
        validate_schedule("shop/dev/report", "schedule", schedule)
    assert problem in caught.value.problem and "day of week 0-6" in caught.value.fix


@pytest.mark.parametrize("value", [None, 5, ["0", "6", "*", "*", "*"]])
def test_a_schedule_must_be_a_string(value):
    with pytest.raises(ShipformError, match="must be a cron string"):
        validate_schedule("shop/dev/report", "schedule", value)


@pytest.mark.parametrize("schedule", ["23 4 * * 1", "*/15 * * * *", "0 0 1 jan-mar mon-fri", "59 23 31 12 6"])
def test_a_workflow_schedule_takes_githubs_five_fields(schedule):
    assert validate_workflow_schedule("shop", "patch_schedule", schedule) == schedule


@pytest.mark.parametrize(("schedule", "problem"), [("@weekly", "no macro"), ("0 4 ? * 1", "no '?'"),
                                                   ("0 4 * * 7", "day of week"), ("0 0 4 * * 1", "6 fields")])
def test_a_workflow_schedule_refuses_what_github_does_not_take(schedule, problem):
    with pytest.raises(ShipformError) as caught:
        validate_workflow_schedule("shop", "patch_schedule", schedule)
    assert problem in caught.value.problem and "UTC" in caught.value.fix

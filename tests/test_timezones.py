"""Wall-clock times in a named zone become one UTC instant, or a clear error."""

from datetime import datetime, timezone

import pytest

from wgmail.timezones import LocalTimeError, format_local, local_to_utc, zone_names


def test_a_moscow_wall_clock_time_is_three_hours_ahead_of_utc():
    instant = local_to_utc(datetime(2026, 12, 3, 19, 30, 15), "Europe/Moscow")

    assert instant == datetime(2026, 12, 3, 16, 30, 15, tzinfo=timezone.utc)


def test_summer_and_winter_offsets_follow_the_zone():
    assert local_to_utc(datetime(2026, 7, 1, 12), "Europe/Berlin").hour == 10
    assert local_to_utc(datetime(2026, 1, 1, 12), "Europe/Berlin").hour == 11


def test_a_time_skipped_by_the_clocks_is_refused():
    with pytest.raises(LocalTimeError) as error:
        local_to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Berlin")

    assert str(error.value) == (
        "2026-03-29 02:30:00 does not exist in Europe/Berlin: the clocks skip it "
        "(from UTC+01:00 to UTC+02:00). Choose another time."
    )


def test_a_time_that_happens_twice_is_refused():
    with pytest.raises(LocalTimeError) as error:
        local_to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York")

    assert "happens twice in America/New_York" in str(error.value)
    assert "UTC-04:00" in str(error.value) and "UTC-05:00" in str(error.value)


def test_the_hours_around_a_clock_change_are_accepted():
    assert local_to_utc(datetime(2026, 3, 29, 1, 59, 59), "Europe/Berlin") == datetime(
        2026, 3, 29, 0, 59, 59, tzinfo=timezone.utc
    )
    assert local_to_utc(datetime(2026, 3, 29, 3, 0), "Europe/Berlin") == datetime(
        2026, 3, 29, 1, 0, tzinfo=timezone.utc
    )


def test_an_instant_is_shown_in_its_zone_with_the_offset():
    instant = datetime(2026, 12, 3, 16, 30, tzinfo=timezone.utc)

    assert format_local(instant, "Europe/Moscow") == "2026-12-03 19:30:00 UTC+03:00"
    assert format_local(instant, "Asia/Kolkata") == "2026-12-03 22:00:00 UTC+05:30"
    assert format_local(instant, "America/St_Johns") == "2026-12-03 13:00:00 UTC-03:30"


def test_the_zone_list_holds_places_only():
    names = zone_names()

    assert "Europe/Moscow" in names and "UTC" in names
    assert "localtime" not in names and "Factory" not in names
    assert list(names) == sorted(names)

"""Turning a wall-clock time in a named zone into a UTC instant, honestly.

A local time can fall in a clock-change gap (it never happens) or in a
repeated hour (it happens twice). Both get a clear answer instead of the
silent shift that ``datetime.replace(tzinfo=...)`` would make.
"""

import zoneinfo
from datetime import UTC, datetime
from functools import cache


class LocalTimeError(ValueError):
    """The wall-clock time cannot be turned into one instant in that zone."""


@cache
def zone_names() -> tuple[str, ...]:
    # "localtime" and "Factory" are artefacts of the tz database, not places.
    names = zoneinfo.available_timezones() - {"localtime", "Factory"}
    return tuple(sorted(names))


def is_zone(name: str) -> bool:
    return name in zone_names()


def _offset(value: datetime) -> str:
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """Return the UTC instant of naive ``local`` read in ``zone_name``.

    Raises ``LocalTimeError`` when that time does not exist or exists twice,
    or lies so near year 1 or year 9999 that its instant is out of range.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    earlier = local.replace(tzinfo=zone, fold=0)
    later = local.replace(tzinfo=zone, fold=1)
    shown = local.isoformat(sep=" ", timespec="seconds")
    try:
        instant = earlier.astimezone(UTC)
        round_trip = instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        raise LocalTimeError(
            f"{shown} in {zone_name} is outside the range of dates that can be used."
        ) from None
    if earlier.utcoffset() == later.utcoffset():
        return instant

    if round_trip != local:
        raise LocalTimeError(
            f"{shown} does not exist in {zone_name}: the clocks skip it "
            f"(from {_offset(earlier)} to {_offset(later)}). Choose another time."
        )
    raise LocalTimeError(
        f"{shown} happens twice in {zone_name}, once at {_offset(earlier)} and "
        f"once at {_offset(later)}, when the clocks go back. Choose a time "
        f"outside the repeated hour."
    )


def format_local(instant: datetime, zone_name: str) -> str:
    """``instant`` as wall-clock time in ``zone_name``, with its offset."""
    local = instant.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M:%S} {_offset(local)}"

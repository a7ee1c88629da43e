"""TIMEX3 values: the TimeML grammar per type, and what a value must agree with in its own text."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

_YEAR = r"(?:\d{4}|\d{3}|\d{2}|XXXX)"  # year, decade (201), century (20)
_DATE = rf"{_YEAR}(?:-(?:\d{{2}}|XX)(?:-(?:\d{{2}}|XX))?|-W(?:\d{{2}}|XX)(?:-(?:[1-7]|WE))?|-Q[1-4X]|-H[12X]|-(?:SP|SU|FA|WI))?"
_TIME = rf"(?:{_DATE})?T(?:\d{{2}}(?::\d{{2}}(?::\d{{2}})?)?|MO|MI|AF|EV|NI|DT)"
_REF = r"PRESENT_REF|PAST_REF|FUTURE_REF"
_DURATION = r"P(?:(?:\d+(?:\.\d+)?|X)[YMWDE]|(?:\d+(?:\.\d+)?|X)(?:DE|CE|ML))+(?:T(?:(?:\d+(?:\.\d+)?|X)[HMS])+)?|PT(?:(?:\d+(?:\.\d+)?|X)[HMS])+"

GRAMMAR = {
    "DATE": re.compile(rf"^(?:{_DATE}|{_REF})$"),
    "TIME": re.compile(rf"^(?:{_TIME}|{_REF})$"),
    "DURATION": re.compile(rf"^(?:{_DURATION})$"),
    "SET": re.compile(rf"^(?:{_DURATION}|{_DATE}|{_TIME})$"),
}

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WORD = re.compile(r"[A-Za-z]+")
_YEAR_IN_TEXT = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_MONTH_PREFIX = re.compile(r"^(\d{4})-(\d{2})")


def well_formed(timex_type: str, value: str) -> bool:
    return bool(GRAMMAR[timex_type].match(value))


@functools.lru_cache(maxsize=1 << 16)  # the same few date expressions recur in every block of documents
def inconsistencies(text: str, value: str) -> tuple[str, ...]:
    """Ways a DATE or TIME value contradicts its own text: a named weekday, month or year that the value does not have."""
    return tuple(_inconsistencies(text, value))


def _inconsistencies(text: str, value: str) -> list[str]:
    problems = []
    words = [w.lower() for w in _WORD.findall(text)]
    full = _FULL_DATE.match(value)
    month = _MONTH_PREFIX.match(value)
    if full:
        try:
            day = dt.date(int(full[1]), int(full[2]), int(full[3]))
        except ValueError:
            return [f"{value} is not a real date"]
        for w in words:
            if w in WEEKDAYS and WEEKDAYS[w] != day.weekday():
                problems.append(f"the text says {w.title()} but {value} is a {calendar.day_name[day.weekday()]}")
    if month:
        named = [MONTHS[w] for w in words if w in MONTHS]
        if len(set(named)) == 1 and named[0] != int(month[2]):
            problems.append(f"the text names month {named[0]} but the value's month is {int(month[2])}")
    years = set(_YEAR_IN_TEXT.findall(text))
    if len(years) == 1 and re.match(r"^\d{4}", value) and value[:4] not in years:
        problems.append(f"the text names the year {years.pop()} but the value's year is {value[:4]}")
    return problems

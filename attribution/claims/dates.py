"""When a claim is about: a date the sentence gives ("on 15 May", "November 11th 2024"), a
relative one resolved against the article's date ("on Sunday", "yesterday"), else the article's
date. The article's date is its `date` field (JSONL and CSV inputs), else the first date in its
opening lines, else a date its id begins with (crawls often name files "20220126T0830Z_...")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_MONTHS = {m: n for n, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august", "september",
                                       "october", "november", "december"], 1)}
_MONTHS.update({m[:3]: n for m, n in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = {d: n for n, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?(?:,?\s+(\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKDAY = re.compile(r"\b(?:on|last|this)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_RELATIVE = {"yesterday": -1, "today": 0, "tonight": 0, "last night": -1, "this week": 0, "last week": -7}
_ID_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_OPENING_CHARS = 600  # where an article states its own date, if it does


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str, year: int | None = None) -> list[date]:
    """The calendar dates a text writes, in order (a date without a year takes `year`)."""
    found: list[tuple[int, date]] = []
    for match in _ISO.finditer(text):
        if (when := _valid(int(match[1]), int(match[2]), int(match[3]))) is not None:
            found.append((match.start(), when))
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for match in pattern.finditer(text):
            written_year = int(match[3]) if match[3] else year
            if written_year is None:
                continue
            if (when := _valid(written_year, _MONTHS[match[month_group].lower().rstrip(".")], int(match[day_group]))) is not None:
                found.append((match.start(), when))
    return [when for _, when in sorted(found)]


def article_date(text: str, meta: dict, article_id: str = "") -> date | None:
    """The article's date: its `date` field, else the first date of its opening lines, else the
    one its id begins with."""
    if meta.get("date"):
        try:
            return datetime.fromisoformat(str(meta["date"]).replace("Z", "+00:00")).date()
        except ValueError:
            pass
        written = dates_in(str(meta["date"]))
        if written:
            return written[0]
    written = dates_in(text[:_OPENING_CHARS])
    if written:
        return written[0]
    named = _ID_DATE.match(article_id)
    return _valid(int(named[1]), int(named[2]), int(named[3])) if named else None


def claim_date(sentence: str, published: date | None) -> date | None:
    """What day the sentence's claim is about, as far as it and the article's date say."""
    written = dates_in(sentence, published.year if published else None)
    if written:
        return written[0]
    if published is None:
        return None
    lowered = sentence.lower()
    weekday = _WEEKDAY.search(sentence)
    if weekday:
        back = (published.weekday() - _WEEKDAYS[weekday[1].lower()]) % 7
        return published - timedelta(days=back)
    for words, shift in _RELATIVE.items():
        if re.search(rf"\b{words}\b", lowered):
            return published + timedelta(days=shift)
    return published

"""A buyer's behaviour in the assessment window, read in O(days) (DESIGN §8), pure.

What the rules count
--------------------
A rule never sees the buyer's orders, disputes and reviews one by one: it counts them
through ``BuyerActivity.count`` and ``BuyerActivity.sellers``, with a condition on the
fact's *profile* — the fields a rule may filter on:

* ``OrderProfile``: ``is_paid``, ``status``, ``cancelled_by``, ``has_note``;
* ``DisputeProfile``: ``status``, ``resolution``;
* ``ReviewProfile``: ``rating``.

How it is kept
--------------
Ingestion keeps, per buyer and UTC day, how many facts of each profile there are
(``cells``): orders by profile, overall and at each seller; disputes and reviews by profile
and seller.  A day entirely inside the window is read as these counts (one item per day);
the days a window starts in, and today, are read fact by fact (a window is exact to the
instant, so a partial day cannot come from a day's counts).  ``read_plan`` says which days
are which; ``BuyerActivity`` counts over both alike.  (A window with few facts — most
buyers' — is read whole, fact by fact, with no counters: ``services/assessment.py``.)

**Adding a condition** is writing a ``where`` on a profile.  A condition on a field no
profile has needs the field added to its profile (``*_profile`` and the key codec below)
and the aggregates rebuilt from the facts; a window a rule counts in (``since``) must be
declared in its ``Rule.windows`` so its first day is read fact by fact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from chalicelib.domain.facts import DisputeData, OrderData, ReviewData
from chalicelib.domain.timeutil import to_iso

Kind = Literal["orders", "disputes", "reviews"]


class OrderProfile(NamedTuple):
    is_paid: bool
    status: str
    cancelled_by: str | None
    has_note: bool


class DisputeProfile(NamedTuple):
    status: str
    resolution: str | None


class ReviewProfile(NamedTuple):
    rating: int


Profile = OrderProfile | DisputeProfile | ReviewProfile
Activity = OrderData | DisputeData | ReviewData


def profile_of(fact: Activity) -> Profile:
    """The fields of ``fact`` a rule may count on."""
    if isinstance(fact, OrderData):
        note = bool(fact.buyer_note and fact.buyer_note.strip())
        return OrderProfile(fact.is_paid, fact.status, fact.cancelled_by, note)
    if isinstance(fact, DisputeData):
        return DisputeProfile(fact.status, fact.resolution)
    return ReviewProfile(fact.rating)


def kind_of(fact: Activity) -> Kind:
    if isinstance(fact, OrderData):
        return "orders"
    return "disputes" if isinstance(fact, DisputeData) else "reviews"


def activity_time(fact: Activity) -> datetime:
    """When a fact counts in the window (as ``FactEvent.activity_time``)."""
    if isinstance(fact, OrderData):
        return fact.placed_at
    return fact.opened_at if isinstance(fact, DisputeData) else fact.posted_at


def utc_day(when: datetime) -> date:
    return when.astimezone(UTC).date()


# --------------------------------------------------------------------------- counter keys
# A day's counters are attributes named by key: ``o|<paid>|<status>|<cancelled_by>|<note>``
# (orders), ``d|<status>|<resolution>|<seller>`` and ``r|<rating>|<seller>``.  Statuses,
# parties and ids never hold ``|`` (the event schema's enumerations and ``Id``).

_NONE = "-"


def _opt(value: str | None) -> str:
    return _NONE if value is None else value


def _unopt(text: str) -> str | None:
    return None if text == _NONE else text


def counter_key(fact: Activity) -> str:
    p = profile_of(fact)
    if isinstance(p, OrderProfile):
        return f"o|{int(p.is_paid)}|{p.status}|{_opt(p.cancelled_by)}|{int(p.has_note)}"
    if isinstance(p, DisputeProfile):
        return f"d|{p.status}|{_opt(p.resolution)}|{fact.seller_id}"
    return f"r|{p.rating}|{fact.seller_id}"


class Counted(NamedTuple):
    """What a counter key stands for: the kind, the profile and (disputes, reviews) the
    seller."""

    kind: Kind
    profile: Profile
    seller_id: str | None


def parse_counter_key(key: str) -> Counted | None:
    """The meaning of a counter attribute's name; None for any other attribute."""
    parts = key.split("|")
    if parts[0] == "o" and len(parts) == 5:
        profile: Profile = OrderProfile(
            parts[1] == "1", parts[2], _unopt(parts[3]), parts[4] == "1"
        )
        return Counted("orders", profile, None)
    if parts[0] == "d" and len(parts) == 4:
        return Counted("disputes", DisputeProfile(parts[1], _unopt(parts[2])), parts[3])
    if parts[0] == "r" and len(parts) == 3:
        return Counted("reviews", ReviewProfile(int(parts[1])), parts[2])
    return None


# --------------------------------------------------------------------------- ingestion


class Cell(NamedTuple):
    """One counter a fact adds 1 to: the buyer's day (``seller_id`` None) or the buyer's
    day at one seller (orders only), and the counter's key."""

    buyer_id: str
    seller_id: str | None
    day: date
    key: str


def cells(fact: Activity) -> frozenset[Cell]:
    """The counters ``fact`` (at its stored version) adds 1 to."""
    day = utc_day(activity_time(fact))
    key = counter_key(fact)
    made = {Cell(fact.buyer_id, None, day, key)}
    if isinstance(fact, OrderData):
        made.add(Cell(fact.buyer_id, fact.seller_id, day, key))
    return frozenset(made)


DayKey = tuple[str, str | None, date]  # buyer, seller (None: overall), day


def cell_deltas(old: Iterable[Cell], new: Iterable[Cell]) -> dict[DayKey, dict[str, int]]:
    """What replacing a fact's ``old`` counters by its ``new`` ones adds to each day item
    (keys whose delta is 0 left out; days with nothing to add too)."""
    change: Counter[Cell] = Counter(new)
    change.subtract(Counter(old))
    out: dict[DayKey, dict[str, int]] = {}
    for cell, delta in change.items():
        if delta:
            out.setdefault((cell.buyer_id, cell.seller_id, cell.day), {})[cell.key] = delta
    return out


def cells_to_data(made: Iterable[Cell]) -> list[list[str]]:
    return sorted([c.buyer_id, c.seller_id or "", c.day.isoformat(), c.key] for c in made)


def cells_from_data(data: Iterable[list[str]]) -> frozenset[Cell]:
    return frozenset(
        Cell(buyer, seller or None, date.fromisoformat(day), key)
        for buyer, seller, day, key in data
    )


# --------------------------------------------------------------------------- reading


def activity_range(since: datetime, until: datetime) -> tuple[str, str]:
    """The ``by_buyer`` index keys (``<time>#<TYPE>#<id>``) of facts in [since, until], to
    the second as stored."""
    return f"{to_iso(since)}#", f"{to_iso(until)}#~"


class ReadPlan(NamedTuple):
    """Which days of the window are read fact by fact and which as day counters."""

    #: days read fact by fact, each with its index key range (clipped to the window)
    item_ranges: tuple[tuple[date, str, str], ...]
    #: the day counters to read, [first, last] (None: no whole day in the window)
    whole_days: tuple[date, date] | None

    @property
    def item_days(self) -> frozenset[date]:
        return frozenset(day for day, _, _ in self.item_ranges)


def read_plan(now: datetime, window_days: float, windows: Iterable[float] = ()) -> ReadPlan:
    """The window W (``window_days`` before ``now``) as read: its first day, today and the
    first day of each shorter window a rule counts in (``windows``, days) fact by fact —
    at most one day's facts each — and the days between as day counters."""
    start = now - timedelta(days=window_days)
    low, high = activity_range(start, now)
    first, last = utc_day(start), utc_day(now)
    edges = {first, last}
    for days in windows:
        edge = utc_day(now - timedelta(days=days))
        if first <= edge <= last:
            edges.add(edge)
    ranges = tuple(
        (day, max(low, f"{day.isoformat()}T"), min(high, f"{day.isoformat()}T~"))
        for day in sorted(edges)
    )
    inner = (first + timedelta(days=1), last - timedelta(days=1))
    return ReadPlan(ranges, inner if inner[0] <= inner[1] else None)


Where = Callable[[Any], bool]
DayCounters = Mapping[date, Mapping[str, int]]
_EMPTY: DayCounters = MappingProxyType({})


class BuyerActivity:
    """A buyer's orders, disputes and reviews in the window W, as counts; and other
    sellers' upheld complaints against the buyer in W.

    Built from facts read one by one (``orders``, ``disputes``, ``reviews``: the days in
    ``item_days``, or — ``item_days`` None — the whole window, as tests and the dry run
    build it) and day counters (``days``: the buyer's; ``seller_days``: the buyer's at
    ``seller_id``) for the other days.  Counters of a day in ``item_days`` are ignored.
    """

    __slots__ = ("_days", "_item_days", "_items", "_seller_days", "seller_id", "upheld_elsewhere")

    def __init__(
        self,
        orders: Iterable[OrderData] = (),
        disputes: Iterable[DisputeData] = (),
        reviews: Iterable[ReviewData] = (),
        upheld_elsewhere: Mapping[str, frozenset[str]] = MappingProxyType({}),
        *,
        days: DayCounters = _EMPTY,
        seller_days: DayCounters = _EMPTY,
        seller_id: str | None = None,
        item_days: frozenset[date] | None = None,
    ) -> None:
        facts: list[Activity] = [*orders, *disputes, *reviews]
        self._items = [(kind_of(f), profile_of(f), f.seller_id, activity_time(f)) for f in facts]
        skip = item_days or frozenset()
        self._days = _parsed(days, skip)
        self._seller_days = _parsed(seller_days, skip)
        self._item_days = item_days
        self.seller_id = seller_id
        #: scenario -> ids of *other* sellers with an upheld complaint against this buyer in W
        self.upheld_elsewhere = upheld_elsewhere

    @classmethod
    def from_facts(cls, facts: Iterable[Any], **kwargs: Any) -> BuyerActivity:
        """From a mixed list of orders, disputes and reviews (other payloads ignored)."""
        listed = list(facts)
        return cls(
            orders=[f for f in listed if isinstance(f, OrderData)],
            disputes=[f for f in listed if isinstance(f, DisputeData)],
            reviews=[f for f in listed if isinstance(f, ReviewData)],
            **kwargs,
        )

    def count(
        self,
        kind: Kind,
        where: Where | None = None,
        *,
        since: datetime | None = None,
        seller_id: str | None = None,
    ) -> int:
        """How many ``kind`` facts in W (or in [``since``, now] within W) whose profile meets
        ``where`` (every one when None), at ``seller_id`` if given."""
        total = 0
        for counted, when, number in self._entries(kind, since, at_seller=seller_id):
            if (where is None or where(counted.profile)) and (
                seller_id is None or counted.seller_id in (seller_id, None)
            ):
                total += number if when is None or since is None or when >= since else 0
        return total

    def sellers(
        self, kind: Kind, where: Where | None = None, *, since: datetime | None = None
    ) -> frozenset[str]:
        """The sellers of the ``kind`` facts (disputes or reviews) in W, or since ``since``,
        whose profile meets ``where``."""
        if kind == "orders":
            raise ValueError("the sellers of a buyer's orders are not kept by day")
        found = set()
        for counted, when, number in self._entries(kind, since, at_seller=None):
            in_window = when is None or since is None or when >= since
            if number > 0 and in_window and (where is None or where(counted.profile)):
                assert counted.seller_id is not None
                found.add(counted.seller_id)
        return frozenset(found)

    def _entries(
        self, kind: Kind, since: datetime | None, at_seller: str | None
    ) -> Iterable[tuple[Counted, datetime | None, int]]:
        """(what, when — None for a day counter, how many): facts one by one, then the
        day counters of the days after ``since``'s day."""
        for k, profile, seller, when in self._items:
            if k == kind:
                yield Counted(k, profile, seller), when, 1
        counters = self._days
        read = self._item_days
        if at_seller is not None and kind == "orders":
            if read is not None and at_seller != self.seller_id:
                raise ValueError(f"the buyer's days at seller {at_seller!r} were not read")
            counters = self._seller_days
        if since is not None:
            edge = utc_day(since)
            if read and edge not in read and min(read) < edge < max(read):
                raise ValueError(
                    f"the window since {to_iso(since)} starts in a day read as counters: "
                    "declare it in the rule's windows"
                )
        first = utc_day(since) if since is not None else None
        for day, entries in counters.items():
            if first is not None and day <= first:
                continue
            for counted, number in entries:
                if counted.kind == kind:
                    yield counted, None, number


def _parsed(days: DayCounters, skip: frozenset[date]) -> dict[date, list[tuple[Counted, int]]]:
    out: dict[date, list[tuple[Counted, int]]] = {}
    for day, counters in days.items():
        if day in skip:
            continue
        entries = []
        for key, number in counters.items():
            counted = parse_counter_key(key)
            if counted is not None and number:
                entries.append((counted, int(number)))
        out[day] = entries
    return out

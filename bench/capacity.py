"""DynamoDB capacity units per request, measured, by port method: a small simulated month
(``bench/simulate.py``, the same code) on dynalite through the real adapters, with
``ReturnConsumedCapacity=INDEXES`` injected into every request by a botocore hook.

dynalite reports read units by DynamoDB's rules (4 KB per unit, halved when eventually
consistent, a Query's units from the items it evaluates); a read that finds nothing is
counted at DynamoDB's minimum (one unit, half when eventually consistent), which dynalite
reports as 0.  Its write units leave out the
global secondary indexes and are approximate for transactions, so write units are computed
here from the item before and after each write (read with a client of our own, not
counted), with DynamoDB's size rules (``item_size``): the table's units by the larger
image (1 KB per unit), doubled in a transaction; each index the item is in, was in, or
moves within — with the attributes its projection copies — one write per KB of its entry,
two when its key changes (delete and put); none when nothing it holds changed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.dynamo_calls import dynamodb_hooks
from chalicelib.config import Settings

READS = frozenset({"GetItem", "Query", "BatchGetItem", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"})


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value by DynamoDB's rules (names are counted by the caller)."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = len(v.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(i) for i in v)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(i) for k, i in v.items())
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in v)
    return sum(len(b) for b in v)  # BS


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in (item or {}).items())


def _kb(item: dict[str, Any] | None) -> int:
    return math.ceil(item_size(item) / 1024) if item else 0


class Table:
    """A table's key and its global secondary indexes (from DescribeTable)."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.keys = [k["AttributeName"] for k in description["KeySchema"]]
        self.indexes: dict[str, tuple[list[str], str, list[str]]] = {
            i["IndexName"]: (
                [k["AttributeName"] for k in i["KeySchema"]],
                i["Projection"]["ProjectionType"],
                i["Projection"].get("NonKeyAttributes", []),
            )
            for i in description.get("GlobalSecondaryIndexes", [])
        }

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys}

    def entry(
        self, index: str, item: dict[str, Any] | None, keys_only: bool = False
    ) -> dict[str, Any] | None:
        """The item's entry in ``index`` (what its projection copies — or, ``keys_only``,
        would copy were it KEYS_ONLY), None when not in it."""
        keys, projection, extra = self.indexes[index]
        if item is None or any(k not in item for k in keys):
            return None
        projection = "KEYS_ONLY" if keys_only else projection
        if projection == "ALL":
            return dict(item)
        wanted = {*self.keys, *keys, *(extra if projection == "INCLUDE" else ())}
        return {k: v for k, v in item.items() if k in wanted}

    def write_units(
        self,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        transaction: bool,
        keys_only: bool = False,
    ) -> tuple[float, Counter[str]]:
        """(table units, units per index) of one write turning ``old`` into ``new``."""
        table = max(_kb(old), _kb(new), 1) * (2 if transaction else 1)
        indexes: Counter[str] = Counter()
        for name, (keys, _, _) in self.indexes.items():
            before, after = self.entry(name, old, keys_only), self.entry(name, new, keys_only)
            if before == after:
                continue
            if before is not None and after is not None:
                moved = any(before[k] != after[k] for k in keys)
                units = _kb(before) + _kb(after) if moved else max(_kb(before), _kb(after))
            else:
                units = _kb(before or after)
            indexes[name] += units
        return table, indexes


class Meter:
    """Requests and capacity units by the port method that made them (``current``)."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.calls: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.read_units: defaultdict[str, float] = defaultdict(float)
        self.write_units: defaultdict[str, float] = defaultdict(float)
        self.index_write_units: Counter[str] = Counter()  # by index
        #: what they would be were every index KEYS_ONLY (what projections cost)
        self.index_write_units_keys_only: Counter[str] = Counter()
        #: table write units by table, and those of transactions (counted twice)
        self.table_write_units: Counter[str] = Counter()
        self.transaction_write_units: Counter[str] = Counter()

    @property
    def method(self) -> str:
        return self.current or "(outside a port call)"


@contextmanager
def metered(settings: Settings, meter: Meter, raw: Any) -> Iterator[None]:
    """Meter every request the app's DynamoDB clients make; ``raw`` is a client of our own
    (not hooked) that reads the images before and after each write."""
    tables: dict[str, Table] = {}

    def table(name: str) -> Table:
        if name not in tables:
            tables[name] = Table(raw.describe_table(TableName=name)["Table"])
        return tables[name]

    def image(name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = raw.get_item(
            TableName=name, Key=key, ConsistentRead=True
        ).get("Item")
        return found

    def targets(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                if kind == "ConditionCheck":
                    continue
                key = body.get("Key") or table(body["TableName"]).key_of(body["Item"])
                found.append((body["TableName"], key))
            return found
        key = params.get("Key") or table(params["TableName"]).key_of(params["Item"])
        return [(params["TableName"], key)]

    def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "INDEXES"
        context["capacity_consistent"] = bool(params.get("ConsistentRead"))
        if model.name in WRITES:
            context["capacity_before"] = [
                (name, key, image(name, key)) for name, key in targets(model.name, params)
            ]

    def after(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        method = meter.method
        meter.requests[method] += 1
        if model.name in READS:
            consumed = parsed.get("ConsumedCapacity") or []
            units = sum(
                float(entry.get("CapacityUnits", 0))
                for entry in (consumed if isinstance(consumed, list) else [consumed])
            )
            # a read that finds nothing still costs one unit (half, eventually consistent)
            least = 1.0 if context.get("capacity_consistent") else 0.5
            meter.read_units[method] += max(units, least)
            return
        transaction = model.name == "TransactWriteItems"
        for name, key, old in context.pop("capacity_before", []):
            new = image(name, key)
            units, indexes = table(name).write_units(old, new, transaction)
            meter.write_units[method] += units + sum(indexes.values())
            meter.index_write_units.update(indexes)
            meter.index_write_units_keys_only.update(
                table(name).write_units(old, new, transaction, keys_only=True)[1]
            )
            meter.table_write_units[method] += int(units)
            if transaction:
                meter.transaction_write_units[method] += int(units)

    hooks: dict[str, Callable[..., None]] = {
        "before-parameter-build.dynamodb.*": before,
        "after-call.dynamodb.*": after,
    }
    with dynamodb_hooks(settings, hooks):
        yield


class Attributed:
    """A port whose method calls are attributed to ``store.method`` in the meter (calls
    the port makes of itself stay with the outer call)."""

    def __init__(self, name: str, target: Any, meter: Meter) -> None:
        self._name, self._target, self._meter = name, target, meter

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if not callable(value):
            return value
        meter, label = self._meter, f"{self._name}.{attr}"

        def call(*args: Any, **kwargs: Any) -> Any:
            outer = meter.current
            if outer is None:
                meter.current = label
                meter.calls[label] += 1
            try:
                return value(*args, **kwargs)
            finally:
                meter.current = outer

        return call

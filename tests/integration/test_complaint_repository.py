from datetime import timedelta
from typing import Any

import pytest

from bench.dynamo_calls import dynamodb_hooks
from chalicelib.adapters.complaint_repository import ComplaintRepository, ListFilter
from chalicelib.config import Settings
from chalicelib.domain.attachments import new_attachment
from chalicelib.domain.complaints import Complaint, decide, new_complaint, recategorise
from chalicelib.domain.errors import Conflict, DuplicateComplaint
from chalicelib.domain.rules import Assessment
from tests.builders import T0

pytestmark = pytest.mark.usefixtures("aws")


def _complaint(
    order_id: str, scenario: str = "malicious_ordering", *, seller_id: str = "s-1", hours: float = 0
) -> Complaint:
    return new_complaint(
        seller_id=seller_id,
        order_id=order_id,
        buyer_id="b-1",
        scenario=scenario,
        reason=None,
        description="d",
        evidence=("https://e/1",),
        now=T0 + timedelta(hours=hours),
    )


def test_add_then_get_round_trips(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    complaint = _complaint("o-1")
    repo.add(complaint, sweep_at=None)
    assert repo.get(complaint.complaint_id) == complaint
    assert repo.get("c_missing") is None


def test_one_complaint_per_order_and_scenario_enforced_by_the_table(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    first = _complaint("o-1")
    repo.add(first, sweep_at=None)
    with pytest.raises(DuplicateComplaint) as err:
        repo.add(_complaint("o-1", hours=5), sweep_at=None)
    assert err.value.complaint_id == first.complaint_id
    assert repo.get(first.complaint_id) == first  # the first one is untouched
    repo.add(_complaint("o-1", "malicious_harassment"), sweep_at=None)  # another scenario is fine


def test_a_decision_is_saved_only_while_pending(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    complaint = _complaint("o-1")
    repo.add(complaint, sweep_at=None)
    upheld = decide(
        complaint,
        outcome="upheld",
        reason_code="x",
        decided_by="operator",
        actor="operator:a",
        now=T0 + timedelta(hours=1),
    )
    repo.save_decision(upheld, {"event_id": "e1"}, T0)
    assert repo.get(complaint.complaint_id) == upheld
    rejected = decide(
        complaint,
        outcome="rejected",
        reason_code="y",
        decided_by="operator",
        actor="operator:b",
        now=T0 + timedelta(hours=2),
    )
    with pytest.raises(Conflict):
        repo.save_decision(
            rejected, {"event_id": "e2"}, T0
        )  # a stale copy loses: the stored one is already decided
    assert repo.get(complaint.complaint_id) == upheld


def test_listing_is_newest_first_pages_to_the_end_and_filters(settings: Settings) -> None:
    repo = ComplaintRepository(settings)
    for i in range(7):
        repo.add(_complaint(f"o-{i}", hours=i), sweep_at=None)
    repo.add(_complaint("o-x", seller_id="s-2", hours=3), sweep_at=None)
    repo.add(_complaint("o-3", "malicious_harassment", hours=3.5), sweep_at=None)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = repo.list_for_seller(
            "s-1",
            since=T0 - timedelta(days=1),
            until=T0 + timedelta(days=1),
            limit=3,
            after_key=after,
        )
        seen += [c.order_id for c in page.items]
        pages += 1
        after = page.last_key
        if after is None:
            break
    assert seen == ["o-6", "o-5", "o-4", "o-3", "o-3", "o-2", "o-1", "o-0"]
    assert pages == 3
    only = repo.list_for_seller(
        "s-1",
        since=T0 - timedelta(days=1),
        until=T0 + timedelta(days=1),
        limit=10,
        filters=ListFilter(scenario="malicious_harassment"),
    )
    assert [c.order_id for c in only.items] == ["o-3"]
    window = repo.list_for_seller(
        "s-1", since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=4), limit=10
    )
    assert [c.order_id for c in window.items] == ["o-4", "o-3", "o-3", "o-2"]


def test_a_page_asks_again_for_keys_dynamodb_left_unprocessed_and_keeps_its_order(
    settings: Settings,
) -> None:
    """BatchGetItem may answer only some keys (throttling, over 16 MB): a list page and an
    export page ask again for the rest, and show their complaints newest first."""
    repo = ComplaintRepository(settings)
    for i in range(5):
        repo.add(_complaint(f"o-{i}", hours=i), sweep_at=None)
    table = settings.complaints_table
    answered: list[int] = []

    def withhold_three(parsed: dict[str, Any], **_: Any) -> None:
        items = parsed["Responses"][table]
        answered.append(len(items))
        if len(answered) % 2:  # each page's first answer leaves three keys unprocessed
            parsed["Responses"][table] = items[:2]
            left = [{"complaint_id": item["complaint_id"]} for item in items[2:]]
            parsed["UnprocessedKeys"] = {table: {"Keys": left}}

    window = {"since": T0 - timedelta(days=1), "until": T0 + timedelta(days=1)}
    newest_first = ["o-4", "o-3", "o-2", "o-1", "o-0"]
    with dynamodb_hooks(settings, {"after-call.dynamodb.BatchGetItem": withhold_three}):
        listed = repo.list_for_seller("s-1", limit=5, **window)
        exported = repo.export_page("s-1", **window)
    assert [c.order_id for c in listed.items] == newest_first and listed.last_key is None
    assert [c.order_id for c in exported.items] == newest_first
    assert answered == [5, 3, 5, 3]


def test_a_move_copies_attributes_it_does_not_know_and_notices_them_change(
    settings: Settings,
) -> None:
    """Another feature's attribute on the item (here a ``labels`` list the model does not
    declare) moves with the complaint, and a change to it meanwhile stops the move."""
    repo = ComplaintRepository(settings)
    complaint = _complaint("o-1", "malicious_harassment")
    repo.add(complaint, sweep_at=None)
    client = repo.model._get_connection().connection.client
    table = settings.complaints_table

    def attach(name: str) -> None:
        client.update_item(
            TableName=table,
            Key={"complaint_id": {"S": complaint.complaint_id}},
            UpdateExpression="SET labels = list_append(if_not_exists(labels, :e), :a)",
            ExpressionAttributeValues={":e": {"L": []}, ":a": {"L": [{"M": {"n": {"S": name}}}]}},
        )

    attach("chat.png")
    moved = recategorise(
        complaint,
        scenario="malicious_review",
        reason=None,
        assessment=Assessment("rejected", "insufficient_evidence", (), T0),
        actor="operator:a",
        note=None,
        now=T0,
    )
    table_connection = repo.model._get_connection()
    real_get = table_connection.get_item

    late = ["late.pdf"]

    def read_then_attach(*args: Any, **kwargs: Any) -> Any:
        found = real_get(*args, **kwargs)
        while late:  # the seller adds a file between the move's read and its write
            attach(late.pop())
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table_connection, "get_item", read_then_attach)
        with pytest.raises(Conflict) as changed:
            repo.move(complaint, moved, {"event_id": "m"}, T0)
    assert changed.value.code == "complaint_changed"
    assert repo.get(moved.complaint_id) is None
    repo.move(complaint, moved, {"event_id": "m"}, T0)
    item = client.get_item(TableName=table, Key={"complaint_id": {"S": moved.complaint_id}})
    names = [a["M"]["n"]["S"] for a in item["Item"]["labels"]["L"]]
    assert names == ["chat.png", "late.pdf"]
    assert repo.get(complaint.complaint_id) is None
    assert repo.get(moved.complaint_id) == moved


def _file(complaint: Complaint, num: int) -> Any:
    attachment_id = f"a_{num:032x}"
    return new_attachment(
        attachment_id, f"f{num}.png", "image/png", 10, T0, key=f"attachments/x/{attachment_id}"
    )


@pytest.mark.parametrize("meanwhile", ["announced", "verified", "replaced"])
def test_a_move_keeps_the_evidence_files_and_stops_when_they_change_meanwhile(
    settings: Settings, meanwhile: str
) -> None:
    """The files move with the complaint; a file announced, verified or replaced between the
    move's read and its write (on the old id) stops the move, so none is lost."""
    repo = ComplaintRepository(settings)
    complaint = _complaint("o-1", "malicious_harassment")
    repo.add(complaint, sweep_at=None)
    first, second = _file(complaint, 1), _file(complaint, 2)
    repo.add_attachment(complaint, first, replacing=[])
    read = repo.get(complaint.complaint_id)
    assert read is not None
    moved = recategorise(
        read,
        scenario="malicious_review",
        reason=None,
        assessment=Assessment("rejected", "insufficient_evidence", (), T0),
        actor="operator:a",
        note=None,
        now=T0,
    )
    connection = repo.model._get_connection()
    real_get = connection.get_item
    pending = [meanwhile]

    def read_then_change(*args: Any, **kwargs: Any) -> Any:
        found = real_get(*args, **kwargs)
        while pending:
            kind = pending.pop()
            current = repo.get(complaint.complaint_id)
            assert current is not None
            if kind == "announced":
                repo.add_attachment(current, second, replacing=[])
            elif kind == "verified":
                repo.verify_attachment(complaint.complaint_id, first.verified("ab" * 32, T0))
            else:  # the stale entry replaced by a new one: the map keeps its size
                repo.add_attachment(current, second, replacing=[first.attachment_id])
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "get_item", read_then_change)
        with pytest.raises(Conflict) as changed:
            repo.move(read, moved, {"event_id": "m"}, T0)
    assert changed.value.code == "complaint_changed"
    assert repo.get(moved.complaint_id) is None
    again = repo.get(complaint.complaint_id)
    assert again is not None
    moved_again = recategorise(
        again,
        scenario="malicious_review",
        reason=None,
        assessment=Assessment("rejected", "insufficient_evidence", (), T0),
        actor="operator:a",
        note=None,
        now=T0,
    )
    repo.move(again, moved_again, {"event_id": "m"}, T0)
    stored = repo.get(moved.complaint_id)
    assert stored is not None and stored.attachments == again.attachments
    assert repo.get(complaint.complaint_id) is None

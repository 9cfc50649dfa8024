"""The attachments' pure rules: types by their first bytes, filenames, limits, keys."""

from datetime import timedelta

import pytest

from chalicelib.domain.attachments import (
    MAX_PER_COMPLAINT,
    Attachment,
    check_declaration,
    clean_filename,
    detect_type,
    new_attachment,
    object_key,
    room_for_one_more,
    verify_upload,
)
from chalicelib.domain.errors import InvalidRequest, NotEligible, TooLarge
from tests.builders import T0


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"<html><body>", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"\x89PNG\r\n", None),  # truncated signature
        (b"", None),
    ],
)
def test_types_are_recognised_by_their_first_bytes(head: bytes, found: str | None) -> None:
    assert detect_type(head) == found


def test_filenames_are_cleaned_and_bounded() -> None:
    assert clean_filename("  ../../etc/passwd ") == ".._.._etc_passwd"
    assert clean_filename("a\u0000b\u202ec\td.png") == "abc d.png"
    assert clean_filename("聊天 截图.png") == "聊天 截图.png"
    assert len(clean_filename("x" * 255)) == 200
    for empty in ("\u0000", "   ", "\u200b", ".."):
        with pytest.raises(InvalidRequest):
            clean_filename(empty)


def test_declarations_and_keys() -> None:
    check_declaration("image/png", 10, 10)
    with pytest.raises(NotEligible):
        check_declaration("text/html", 10, 10)
    with pytest.raises(TooLarge):
        check_declaration("image/png", 11, 10)
    assert object_key("s/1", "c_x", "a_1") == "attachments/s%2F1/c_x/a_1"


def test_ten_at_most_and_expired_announcements_make_room() -> None:
    ten = tuple(new_attachment(f"a_{i}", "f", "image/png", 1, T0, key=f"k/{i}") for i in range(10))
    with pytest.raises(NotEligible):
        room_for_one_more(ten, T0 + timedelta(minutes=14))
    later = T0 + timedelta(minutes=15)
    assert room_for_one_more(ten, later) == [a.attachment_id for a in ten]
    verified = tuple(a.verified("h", T0) for a in ten[:MAX_PER_COMPLAINT])
    with pytest.raises(NotEligible):
        room_for_one_more(verified, later + timedelta(days=30))


def test_an_upload_must_be_the_announced_file() -> None:
    png = new_attachment("a_1", "f.png", "image/png", 12, T0, key="k")
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00"
    assert verify_upload(png, stored_size=12, head=head, max_bytes=100) is None
    assert verify_upload(png, stored_size=13, head=head, max_bytes=100) == {
        "reason": "size_mismatch",
        "declared": 12,
        "size": 13,
    }
    assert verify_upload(png, stored_size=101, head=b"", max_bytes=100)["reason"] == "too_large"  # type: ignore[index]
    wrong = verify_upload(png, stored_size=12, head=b"<html>", max_bytes=100)
    assert wrong == {"reason": "type_mismatch", "declared": "image/png", "detected": None}


def test_the_key_is_the_one_stored_at_announce_time_not_one_made_from_the_current_id() -> None:
    """Re-categorisation moves a complaint to a new id, copying its attachment entries:
    their files stay where they were uploaded."""
    announced = new_attachment(
        "a_1", "f.png", "image/png", 12, T0, key=object_key("s-1", "c_old", "a_1")
    )
    moved = Attachment.from_dict(announced.verified("h", T0).as_dict())
    assert moved.key == "attachments/s-1/c_old/a_1"
    assert moved.stored_key("s-1", "c_new") == "attachments/s-1/c_old/a_1"
    # an entry stored before keys were: the key it was announced under, made from the ids
    legacy = {k: v for k, v in announced.as_dict().items() if k != "key"}
    assert Attachment.from_dict(legacy).stored_key("s-1", "c_old") == "attachments/s-1/c_old/a_1"

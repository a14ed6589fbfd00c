"""How a transaction's changes of one row merge into one audit entry."""

from __future__ import annotations

from app.db.audit_changes import Change, merge_changes


def update(before: dict[str, object], after: dict[str, object], key: str = "Ann") -> Change:
    return Change("update", "owner", (1,), key, None, before, after)


def test_two_updates_are_one_from_the_first_before_to_the_last_after() -> None:
    merged = merge_changes(
        [
            update({"email": None}, {"email": "a@x"}),
            update({"email": "a@x", "name": "Ann"}, {"email": "b@x", "name": "Bo"}, "Bo"),
        ]
    )
    assert [(c.action, c.key, c.before, c.after) for c in merged] == [
        ("update", "Bo", {"email": None, "name": "Ann"}, {"email": "b@x", "name": "Bo"})
    ]


def test_a_change_undone_in_the_same_transaction_leaves_nothing() -> None:
    assert (
        merge_changes(
            [update({"email": None}, {"email": "a@x"}), update({"email": "a@x"}, {"email": None})]
        )
        == []
    )


def test_a_deletion_shows_the_row_as_it_was_before_the_transaction() -> None:
    deleted = Change("delete", "owner", (1,), "Ann", None, {"name": "Ann", "email": "b@x"})
    merged = merge_changes([update({"email": None}, {"email": "b@x"}), deleted])
    assert [(c.action, c.before, c.after) for c in merged] == [
        ("delete", {"name": "Ann", "email": None}, None)
    ]


def test_created_and_deleted_is_nothing_but_a_reused_id_is_a_new_row() -> None:
    created = Change("create", "owner", (1,), "Ann", None, after={"name": "Ann"})
    deleted = Change("delete", "owner", (1,), "Ann", None, {"name": "Ann"})
    again = Change("create", "owner", (1,), "Bo", None, after={"name": "Bo"})
    assert [(c.action, c.key) for c in merge_changes([created, deleted, again])] == [
        ("create", "Bo")
    ]
    old = update({"name": "Zed"}, {"name": "Ann"})
    assert [(c.action, c.key) for c in merge_changes([old, deleted, again])] == [
        ("delete", "Ann"),
        ("create", "Bo"),
    ]

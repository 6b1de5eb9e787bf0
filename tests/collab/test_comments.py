"""Comments and annotations as services, on both metadata engines: what is kept, what is refused, the
windows they are listed by (hand-picked points and ranges), and the audit entries they write."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.access import recent_audit
from warroom.collab import list_annotations, list_comments, post_annotation, post_comment
from warroom.errors import NotFound, UserError

SHANGHAI = timezone(timedelta(hours=8))
T20 = datetime(2026, 11, 11, 20, 0, tzinfo=SHANGHAI)  # 12:00 UTC


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 11, hour, minute, tzinfo=SHANGHAI)


def test_a_comment_keeps_panel_time_author_text_and_is_audited(session):
    created = datetime(2026, 11, 11, 12, 5, tzinfo=UTC)
    c = post_comment(session, board="ops", panel="funnel", text="  支付转化掉了 3 个点  ", author="op",
                     time_from=_at(20), time_to=_at(20, 30), ip="10.0.0.7", now=created)  # fmt: skip
    session.expunge_all()
    [got] = list_comments(session, board="ops")
    assert (got.id, got.board, got.panel, got.author, got.text) == (
        c.id,
        "ops",
        "funnel",
        "op",
        "支付转化掉了 3 个点",
    )
    assert (got.time_from, got.time_to, got.created_at) == (
        datetime(2026, 11, 11, 12, 0, tzinfo=UTC), datetime(2026, 11, 11, 12, 30, tzinfo=UTC), created,
    )  # fmt: skip
    [entry] = recent_audit(session, action="comment_posted")  # type: ignore[arg-type]
    assert (entry.actor, entry.target, entry.ip) == ("op", "board:ops/funnel", "10.0.0.7")
    assert entry.detail == {"comment_id": c.id, "parent_id": None, "time_from": "2026-11-11T12:00:00+00:00",
                            "time_to": "2026-11-11T12:30:00+00:00", "chars": 11}  # fmt: skip


def test_comments_listed_by_panel_and_window_newest_first(session):
    t = datetime(2026, 11, 11, 13, tzinfo=UTC)
    ids = {}
    for i, (panel, start, end) in enumerate([
        ("gmv", _at(19), None),          # a point before the window
        ("gmv", _at(20), None),          # a point at the window's start: inside ([from, to))
        ("gmv", _at(19, 30), _at(20, 15)),  # a range reaching into it
        ("gmv", _at(21), _at(22)),       # a range starting at the window's end: outside
        ("gmv", None, None),             # about the panel as a whole: always listed
        ("funnel", _at(20, 10), None),   # another panel
    ]):  # fmt: skip
        c = post_comment(session, board="ops", panel=panel, text=f"c{i}", author="op", time_from=start,
                         time_to=end, now=t + timedelta(minutes=i))  # fmt: skip
        ids[i] = c.id
    got = list_comments(session, board="ops", panel="gmv", time_from=_at(20), time_to=_at(21))
    assert [c.text for c in got] == ["c4", "c2", "c1"]
    assert [c.text for c in list_comments(session, board="ops")] == ["c5", "c4", "c3", "c2", "c1", "c0"]
    assert list_comments(session, board="overview") == []


def test_replies_stay_on_their_panel_and_one_level_deep(session):
    root = post_comment(session, board="ops", panel="gmv", text="GMV 曲线平了", author="op")
    reply = post_comment(session, board="ops", panel="gmv", text="支付通道超时，技术在看", author="tech1",
                         parent_id=root.id)  # fmt: skip
    assert reply.parent_id == root.id
    with pytest.raises(UserError, match=f"comment {reply.id} is itself a reply; reply to comment {root.id}"):
        post_comment(session, board="ops", panel="gmv", text="x", author="op", parent_id=reply.id)
    with pytest.raises(NotFound, match=f"no comment {root.id} on board 'ops' panel 'funnel'"):
        post_comment(session, board="ops", panel="funnel", text="x", author="op", parent_id=root.id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "the comment is empty"),
        ({"text": "x" * 2001}, "the comment has 2001 characters; at most 2000"),
        ({"panel": "Funnel!"}, "panel 'Funnel!': use 1-64 characters"),
        ({"board": "../etc"}, "board '../etc': use 1-64 characters"),
        ({"time_to": T20}, "time_to needs time_from"),
        ({"time_from": T20, "time_to": T20}, "is not after time_from"),
        ({"time_from": datetime(2026, 11, 11, 20)}, "time_from 2026-11-11T20:00:00 has no time zone"),
    ],
)
def test_bad_comments_are_refused_and_nothing_is_kept(session, kwargs, message):
    args = {"board": "ops", "panel": "gmv", "text": "ok", "author": "op"} | kwargs
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        post_comment(session, **args)
    session.rollback()
    assert list_comments(session, board="ops") == []
    assert recent_audit(session, action="comment_posted") == []  # type: ignore[arg-type]


def test_annotations_by_window_in_time_order_and_audited(session):
    post_annotation(session, board="overview", label="20:00 秒杀开始", time_from=_at(20), author="op")
    post_annotation(session, board="overview", label="支付通道故障", time_from=_at(21, 10),
                    time_to=_at(21, 40), author="tech1")  # fmt: skip
    post_annotation(session, board="overview", label="预热", time_from=_at(18), time_to=_at(19), author="op")
    post_annotation(session, board="ops", label="其他看板", time_from=_at(20, 30), author="op")
    window = list_annotations(session, board="overview", time_from=_at(19), time_to=_at(21, 30))
    assert [(a.label, a.time_from, a.time_to) for a in window] == [
        ("20:00 秒杀开始", datetime(2026, 11, 11, 12, tzinfo=UTC), None),
        (
            "支付通道故障",
            datetime(2026, 11, 11, 13, 10, tzinfo=UTC),
            datetime(2026, 11, 11, 13, 40, tzinfo=UTC),
        ),
    ]
    assert [a.label for a in list_annotations(session, board="overview")] == [
        "预热",
        "20:00 秒杀开始",
        "支付通道故障",
    ]
    entries = recent_audit(session, action="annotation_posted")  # type: ignore[arg-type]
    assert len(entries) == 4
    assert {(e.actor, e.target, e.detail["label"]) for e in entries} >= {
        ("tech1", "board:overview", "支付通道故障")
    }


def test_bad_annotations_are_refused(session):
    with pytest.raises(UserError, match="the annotation's label is empty"):
        post_annotation(session, board="overview", label=" ", time_from=T20, author="op")
    with pytest.raises(UserError, match="the annotation's label has 201 characters; at most 200"):
        post_annotation(session, board="overview", label="长" * 201, time_from=T20, author="op")
    with pytest.raises(UserError, match="is not after time_from"):
        post_annotation(session, board="overview", label="x", time_from=T20, time_to=_at(19), author="op")
    with pytest.raises(UserError, match="the window \\[from, to\\) is empty"):
        list_annotations(session, board="overview", time_from=T20, time_to=T20)

import pytest

from tests.alerts.helpers import at
from warroom.alerts.silences import Ack, Matcher, Silence, acknowledged, parse_matcher, silenced_by
from warroom.errors import UserError

LABELS = {"channel": "live", "sku_id": "SKU-100"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channel=live", True),
        ("channel!=live", False),
        ("sku_id=~SKU-1.*", True),
        ("sku_id=~SKU-1", False),  # anchored: must match the whole value
        ("sku_id!~SKU-2.*", True),
        ("province=", True),  # a missing label is the empty string
        ("province=~.+", False),
        ('channel = "live"', True),
    ],
)
def test_matchers(text, expected):
    assert parse_matcher(text).matches(LABELS) is expected


def test_bad_matchers_and_silences_are_user_errors():
    with pytest.raises(UserError, match="expected name=value"):
        parse_matcher("just words")
    with pytest.raises(UserError, match="bad regex"):
        Matcher("sku_id", "=~", "(")
    with pytest.raises(UserError, match="must be after"):
        Silence("s", at(5), at(5), rule_id="r")
    with pytest.raises(UserError, match="would mute all"):
        Silence("s", at(0), at(5))


def test_silence_time_range_is_half_open_and_rule_scoped():
    s = Silence("s", at(0), at(10), matchers=(parse_matcher("channel=live"),), rule_id="roi_drop")
    assert silenced_by([s], "roi_drop", LABELS, at(0)) is s
    assert silenced_by([s], "roi_drop", LABELS, at(10)) is None
    assert silenced_by([s], "other_rule", LABELS, at(5)) is None
    assert silenced_by([s], "roi_drop", {"channel": "search"}, at(5)) is None
    anyrule = Silence("t", at(0), at(10), matchers=(parse_matcher("channel=live"),))
    assert silenced_by([anyrule], "other_rule", LABELS, at(5)) is anyrule


def test_ack_applies_to_the_episode_it_was_given_in():
    labels = (("channel", "live"),)
    ack = Ack("r", labels, at(5), by="han.meimei")
    assert acknowledged([ack], "r", labels, fired_at=at(3)) is ack
    assert acknowledged([ack], "r", labels, fired_at=at(6)) is None  # a later episode
    assert acknowledged([ack], "r", (("channel", "search"),), fired_at=at(3)) is None
    assert acknowledged([ack], "r", labels, fired_at=None) is None

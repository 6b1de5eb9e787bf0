"""Property tests: the rule parser only ever fails with a located RuleFileError, and the state machine's
notifications always tell a consistent story whatever the series."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.alerts.helpers import make_rule, minutes, run
from warroom.alerts.located import RuleFileError
from warroom.alerts.rules import Threshold, parse_rules

FRAGMENTS = st.sampled_from(
    ["rules:", "\n", "  - ", "id: a", "metric: m", "condition:", " {threshold: {op: '>', value: 1}}", "severity: info",
     "team: ops", "channels: [c]", "message: {zh: z, en: e}", "for: 5m", "  ", "{", "]", ": ", "'", "\t", "&x ", "*x",
     "\x00", "!!python/object:os.system", "<<: *x", "- 1"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=30).map("".join))
def test_parser_fails_only_with_located_problems(text):
    try:
        parse_rules(text, "f.yaml")
    except RuleFileError as exc:
        assert exc.problems and all(p.where.startswith("f.yaml:") for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from([5.0, 9.0, 11.0, 20.0]), min_size=1, max_size=40),
    hold=st.integers(0, 3),
    clear=st.integers(0, 3),
    resolve=st.sampled_from([10.0, 8.0]),
)
def test_notifications_tell_a_consistent_story(values, hold, clear, resolve):
    rule = make_rule(
        condition=Threshold(">", 10.0, resolve),
        hold_for=timedelta(minutes=hold),
        clear_for=timedelta(minutes=clear),
        repeat=timedelta(minutes=7),
    )
    history = run(rule, {(): minutes(values)}, range(1, len(values) + 1))
    firing = False
    last_sent = None
    for tick, notes, states in history:
        for n in notes:
            if n.kind == "firing":
                assert not firing  # never two firings without a resolution between
                firing, last_sent = True, tick
            elif n.kind == "repeat":
                assert firing and tick - last_sent >= 7
                last_sent = tick
            else:
                assert firing  # a resolution only follows a firing
                firing = False
        state = states.get(())
        assert firing == (state is not None and state.status == "firing")
        # it can only fire after the value went above 10 at least `hold` minutes before
        if notes and notes[0].kind == "firing":
            assert all(v > 10 for v in values[tick - 1 - hold : tick])

"""Numbers read the same in Python-rendered and browser-rendered places: 万/亿 in Chinese, K/M/B in English."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from warroom.web.i18n import TEXT, compact_number

CASES = [
    (0, "zh", "0"),
    (9999, "zh", "9,999"),
    (12345, "zh", "1.23万"),
    (123456789, "zh", "1.23亿"),
    (-25000, "zh", "-2.50万"),
    (999, "en", "999"),
    (1500, "en", "1.50K"),
    (2_340_000, "en", "2.34M"),
    (7_000_000_000, "en", "7.00B"),
    (12.5, "en", "12.50"),
]

FORMAT_JS = Path(__file__).parents[2] / "warroom/web/static/js/format.js"


@pytest.mark.parametrize(("value", "lang", "expected"), CASES)
def test_python_compact_number(value, lang, expected):
    assert compact_number(value, lang) == expected


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: cannot run format.js")
def test_browser_format_matches_python():
    script = FORMAT_JS.read_text() + (
        f"\nconst cases = {json.dumps([[v, lang] for v, lang, _ in CASES])};"
        "\nconsole.log(JSON.stringify(cases.map(([v, l]) => WarroomFormat.compact(v, l))));"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [expected for _, _, expected in CASES]


def test_every_text_has_both_languages():
    for key, texts in TEXT.items():
        assert set(texts) == {"zh", "en"}, key
        assert all(texts.values()), key


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: cannot run format.js")
def test_axis_labels_are_short_and_distinct():
    cases = [[3000, "zh", "3,000"], [15000, "zh", "1.5万"], [20000, "zh", "2万"], [2_500_000, "en", "2.5M"]]
    script = FORMAT_JS.read_text() + (
        f"\nconsole.log(JSON.stringify({json.dumps(cases)}.map(([v, l]) => WarroomFormat.axis(v, l))));"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [expected for _, _, expected in cases]

"""Endpoint templates: hand-written paths, and the properties every template must have."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.sources.endpoints import template


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/order/12345", "/api/order/{id}"),
        ("/api/order/67890?from=push&x=1", "/api/order/{id}"),
        ("/api/user/42/address/7", "/api/user/{id}/address/{id}"),
        ("/api/pay/550e8400-e29b-41d4-a716-446655440000/confirm", "/api/pay/{id}/confirm"),
        ("/api/sku/5f0e2b9c3c1d4a4e9b1f2d3c", "/api/sku/{id}"),  # 24 hex: a Mongo ObjectId
        ("/api/v2/items", "/api/v2/items"),  # v2 is not an id
        ("/static/app.3f9a1c.js", "/static/app.3f9a1c.js"),  # short hex inside a name stays
        ("/api/cafe", "/api/cafe"),  # a word made of hex letters, too short for an id
        ("http://shop.example:8080/api/cart/9?a=1", "/api/cart/{id}"),  # proxy absolute-form
        ("/search#top", "/search"),
        ("", "/"),
        ("/", "/"),
        ("/1/2/3", "/{id}/{id}/{id}"),
    ],
)
def test_template(path, expected):
    assert template(path) == expected


segment = st.one_of(
    st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    st.uuids().map(str),
    st.from_regex(r"[0-9a-f]{16,32}", fullmatch=True),
    st.text(alphabet="abcxyz-_.{}%0123456789", min_size=0, max_size=10),
)
paths = st.lists(segment, max_size=6).map(lambda parts: "/" + "/".join(parts))
queries = st.one_of(st.just(""), st.text(alphabet="?&=#abc123/", max_size=12).map(lambda q: "?" + q))


@given(paths, queries)
def test_template_is_idempotent_and_leaves_no_digit_only_segment(path, query):
    once = template(path + query)
    assert template(once) == once
    assert not any(re.fullmatch(r"\d+", s) for s in once.split("/"))
    assert "?" not in once and "#" not in once
    assert once.count("/") == path.count("/")  # segments are replaced, never added or removed

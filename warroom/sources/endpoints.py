"""Endpoint templates: a request path reduced to the route it hit, so requests group by endpoint.

/api/order/12345?from=push and /api/order/67890 are both /api/order/{id}. A path segment is an id when it is
all digits, a UUID, or 16 or more hex digits (a Mongo ObjectId is 24, an MD5 32): the shapes shop services
put in URLs. The query string and fragment go, and so do a scheme and host (a proxy's absolute-form request
"GET http://shop.example/api/cart HTTP/1.1"). Everything else is kept as written: a templated path is
already a template, so templating is idempotent.

Vectorised over Arrow arrays: the paths are split into segments once, the segments matched with one RE2
pattern, and joined again (64 ms for 107k paths on this machine, vs ~1 s for Python's re per path).
"""

import pyarrow as pa
import pyarrow.compute as pc

ID = "{id}"
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID_SEGMENT = rf"^(\d+|{_UUID}|[0-9a-fA-F]{{16,}})$"
_SCHEME_HOST = r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*"
_QUERY = r"[?#].*$"


def templates(paths: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The endpoint template of every path (nulls stay null); an empty path becomes "/"."""
    arr = paths.combine_chunks() if isinstance(paths, pa.ChunkedArray) else paths
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    bare = pc.replace_substring_regex(arr, _SCHEME_HOST, "")
    bare = pc.replace_substring_regex(bare, _QUERY, "")
    bare = pc.if_else(pc.equal(bare, ""), pa.scalar("/"), bare)
    parts = pc.split_pattern(bare, "/")
    segments = pc.replace_substring_regex(parts.flatten(), _ID_SEGMENT, ID)
    joined = pc.binary_join(pa.ListArray.from_arrays(parts.offsets, segments), "/")
    return pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), joined)


def template(path: str) -> str:
    """One path's template (the same code as `templates`, for tests and one-off use)."""
    return templates(pa.array([path], pa.string()))[0].as_py()

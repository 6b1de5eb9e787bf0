"""The audit actions of collaboration and exports, beside warroom.access.audit.Action's.

The audit log stores an action as text, so these are written by the same `audit()` and filtered by the same
`recent_audit()`; they live here because this package is what performs them.
"""

from enum import StrEnum


class CollabAction(StrEnum):
    COMMENT_POSTED = "comment_posted"
    ANNOTATION_POSTED = "annotation_posted"
    EXPORTED = "exported"  # a CSV export of a metric query or a dataset, with its row count
    EXPORT_REFUSED = "export_refused"  # an export the caller's policy forbids (what they asked is kept)
    DASHBOARD_CREATED = "dashboard_created"
    DASHBOARD_RENAMED = "dashboard_renamed"
    DASHBOARD_DELETED = "dashboard_deleted"

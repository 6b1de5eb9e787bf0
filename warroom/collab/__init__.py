"""Collaboration: comments on board panels, annotations on board time axes and user-made dashboards, audited
like access changes.

Services are keyword-only functions over a metadata Session (warroom.meta.open_metadata); each commits its
change with its audit entry. CollabAction names what they (and the CSV exports) write to the audit log.
"""

from warroom.collab.actions import CollabAction
from warroom.collab.annotations import MAX_LABEL, list_annotations, post_annotation
from warroom.collab.comments import MAX_TEXT, list_comments, post_comment
from warroom.collab.dashboards import (
    PanelPick,
    create_dashboard,
    delete_dashboard,
    get_dashboard,
    list_dashboards,
    picks_of,
    rename_dashboard,
)

__all__ = [
    "MAX_LABEL",
    "MAX_TEXT",
    "CollabAction",
    "PanelPick",
    "create_dashboard",
    "delete_dashboard",
    "get_dashboard",
    "list_annotations",
    "list_comments",
    "list_dashboards",
    "picks_of",
    "post_annotation",
    "post_comment",
    "rename_dashboard",
]

"""The data page: sources, ingest status and quarantine, for the people who keep the data flowing.

  GET /data                  the page (admin and tech: warroom.web.nav.DATA_ROLES)
  GET /api/v1/data/status    what it shows, as JSON
  GET /api/v1/data/live      the same over server-sent events, computed once per viewer policy

Quarantined rows are previewed under the viewer's policy (warroom/ingest/status.py); database sources show
their URL masked. Fixing and replaying stays with `warroom quarantine replay` and `warroom sources pull`.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from warroom.errors import UserError
from warroom.ingest.status import quarantine_status, table_rows
from warroom.meta import User
from warroom.sources.databases import list_sources, masked_url
from warroom.web.auth import MetaDep, PageUserDep, UserDep, policy_key, principal_of
from warroom.web.deps import LangDep, RuntimeDep
from warroom.web.nav import may_see_data
from warroom.web.routes.boards import _sse
from warroom.web.routes.metrics_export import pipeline_of
from warroom.web.routes.pages import render
from warroom.web.runtime import Runtime

router = APIRouter()

TEXT: dict[str, dict[str, str]] = {
    "tables": {"zh": "数据表", "en": "Tables"},
    "table": {"zh": "表", "en": "Table"},
    "rows": {"zh": "行数", "en": "Rows"},
    "rejected": {"zh": "隔离行", "en": "Quarantined"},
    "newest": {"zh": "最新数据", "en": "Newest data"},
    "lag": {"zh": "延迟", "en": "Lag"},
    "pipeline": {"zh": "接入状态", "en": "Ingest status"},
    "ingest_rate": {"zh": "接入速率（行/秒）", "en": "Ingest rate (rows/s)"},
    "replay_lag": {"zh": "回放延迟", "en": "Replay lag"},
    "flushes": {"zh": "写入批次", "en": "Writer flushes"},
    "fallbacks": {"zh": "逐行回退", "en": "Row-by-row fallbacks"},
    "query_ms": {"zh": "查询耗时", "en": "Query time"},
    "sources": {"zh": "数据库来源", "en": "Database sources"},
    "no_sources": {
        "zh": "还没有数据库来源：warroom sources add NAME URL --table T",
        "en": "No database sources yet: warroom sources add NAME URL --table T",
    },
    "name": {"zh": "名称", "en": "Name"},
    "url": {"zh": "连接", "en": "URL"},
    "into": {"zh": "写入", "en": "Into"},
    "watermark": {"zh": "水位列", "en": "Watermark"},
    "last_pull": {"zh": "上次拉取", "en": "Last pull"},
    "quarantine": {"zh": "隔离区", "en": "Quarantine"},
    "rule": {"zh": "规则", "en": "Rule"},
    "column": {"zh": "列", "en": "Column"},
    "received": {"zh": "接收时间", "en": "Received"},
    "recent": {"zh": "最近被拒的行", "en": "Newest rejected rows"},
    "reason": {"zh": "原因", "en": "Reason"},
    "source": {"zh": "来源", "en": "Source"},
    "raw": {"zh": "原始行", "en": "Raw row"},
    "empty_quarantine": {"zh": "隔离区为空：没有被拒的行", "en": "Quarantine is empty: nothing rejected"},
    "replay_hint": {
        "zh": "修正映射后重放：warroom quarantine replay --table T --mapping FILE",
        "en": "Fix the mapping, then: warroom quarantine replay --table T --mapping FILE",
    },
}


class NotForYou(UserError):
    status_code = 403


def _check(user: User) -> None:
    if not may_see_data(user):
        raise NotForYou(f"user {user.username!r} (role {user.role}) may not see the data page; ask an admin")


def _sources(session: Session) -> list[dict]:
    return [
        {
            "name": s.name, "kind": s.kind, "url": masked_url(s.url), "from": s.from_table or "(query)",
            "into": s.target_table, "watermark": s.watermark_column, "last_pull_at": s.last_pull_at,
            "status": s.last_pull_status, "message": s.last_pull_message,
        }
        for s in list_sources(session)
    ]  # fmt: skip


def data_status(rt: Runtime, user: User) -> dict:
    pipeline = pipeline_of(rt)
    rows = table_rows(rt.warehouse)
    rejected = pipeline["rejected_rows"]
    fresh = {f["table"]: f for f in pipeline["freshness"]}
    with rt.meta() as session:
        sources = _sources(session)
    return {
        "now": pipeline["now"],
        "tables": [
            {
                "table": t,
                "rows": n,
                "rejected": rejected.get(t, 0),
                "newest": fresh.get(t, {}).get("newest"),
                "lag_seconds": fresh.get(t, {}).get("lag_seconds"),
            }
            for t, n in rows.items()
        ],
        "pipeline": {
            k: pipeline[k]
            for k in (
                "ingest_rows_per_second",
                "replay_lag_seconds",
                "writer_flushes",
                "writer_fallbacks",
                "query_ms",
            )
        },
        "sources": sources,
        "quarantine": quarantine_status(rt.warehouse, principal_of(user)),
    }


@router.get("/api/v1/data/status")
def status(rt: RuntimeDep, user: UserDep) -> dict:
    _check(user)
    return data_status(rt, user)


@router.get("/api/v1/data/live")
async def live(request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep) -> StreamingResponse:
    _check(user)
    return await _sse(
        rt.hub.subscribe(("data", policy_key(user)), lambda: data_status(rt, user)), request, meta
    )


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, rt: RuntimeDep, lang: LangDep, user: PageUserDep) -> Response:
    _check(user)
    strings = {key: value[lang] for key, value in TEXT.items()}
    return render(request, "data.html", lang, user=user, d=strings, timezone=rt.settings.timezone)

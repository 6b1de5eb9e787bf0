"""Alert rules over HTTP, beside the rule file: the JSON API (the /alerts page has no editor).

  GET    /api/v1/alerts/rules        every rule the server evaluates, each with its source (builtin, file,
                                     api) and, for API rules, who last changed it and when
  GET    /api/v1/alerts/rules/{id}   one
  POST   /api/v1/alerts/rules        create one: the body is one rule of the rule file, as JSON
  PUT    /api/v1/alerts/rules/{id}   replace it
  DELETE /api/v1/alerts/rules/{id}   delete it, and its alert states

Reading takes any signed-in user or read token. Changing takes an admin (any team) or an ops, finance or
tech user (their team's rules), by session with the X-CSRF-Token header or by bearer token (no cookie, so
no CSRF); warroom.alerts.rule_store checks and audits. The scheduler takes a change up at once.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from warroom.alerts.overview import teams_of
from warroom.alerts.rule_store import create_rule, delete_rule, replace_rule
from warroom.alerts.ruleset import RuleEntry, RuleSet
from warroom.collab.timerange import utc_text
from warroom.errors import NotFound, UserError
from warroom.meta import User
from warroom.web.auth import MetaDep, UserDep, check_csrf
from warroom.web.deps import RuntimeDep
from warroom.web.runtime import Runtime

router = APIRouter(prefix="/api/v1/alerts/rules")


class AlertingOff(UserError):
    status_code = 503


def _rule_set(rt: Runtime) -> RuleSet:
    if rt.alerts is None or rt.alerts.rule_set is None:
        raise AlertingOff("alerting has not started in this server: try again in a moment")
    return rt.alerts.rule_set


def rule_json(e: RuleEntry) -> dict[str, Any]:
    return {
        "id": e.id, "source": e.source, "team": e.team, "evaluated": e.rule is not None, "error": e.error,
        "definition": e.definition, "created_by": e.created_by, "created_at": utc_text(e.created_at),
        "updated_by": e.updated_by, "updated_at": utc_text(e.updated_at),
    }  # fmt: skip


def _check_write(request: Request) -> None:
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # token auth (already verified): a cross-site page cannot set this header
    check_csrf(request, request.headers.get("x-csrf-token"))


async def _definition(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise UserError("the request body is not valid JSON: send one rule as a JSON object") from None


# Read by an async dependency, so the handlers can be plain functions: their metadata work runs in a worker
# thread, not on the event loop.
DefinitionDep = Annotated[Any, Depends(_definition)]


def _who(request: Request, user: User) -> dict[str, Any]:
    ip = request.client.host if request.client else None
    return {"actor": user.username, "role": user.role, "teams": teams_of(user.role), "ip": ip}


def _changed(rt: Runtime, rule_set: RuleSet, rule_id: str) -> dict[str, Any]:
    rt.alerts.refresh_rules()  # the next tick and team_channels (comment mentions) see it now
    entry = rule_set.find(rule_id)
    return {"ok": True, "rule": rule_json(entry) if entry else None}


@router.get("")
def list_rules(rt: RuntimeDep, user: UserDep) -> dict:
    rule_set = _rule_set(rt)
    rt.alerts.refresh_rules()
    return {"ok": True, "rules": [rule_json(e) for e in rule_set.entries()]}


@router.get("/{rule_id}")
def one_rule(rule_id: str, rt: RuntimeDep, user: UserDep) -> dict:
    rule_set = _rule_set(rt)
    rt.alerts.refresh_rules()
    entry = rule_set.find(rule_id)
    if entry is None:
        raise NotFound(f"no alert rule {rule_id!r}: GET /api/v1/alerts/rules lists them")
    return {"ok": True, "rule": rule_json(entry)}


@router.post("", status_code=201)
def add_rule(
    request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep, definition: DefinitionDep
) -> dict:
    _check_write(request)
    rule_set = _rule_set(rt)
    row = create_rule(meta, rule_set, definition=definition, **_who(request, user))
    return _changed(rt, rule_set, row.id)


@router.put("/{rule_id}")
def put_rule(
    rule_id: str, request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep, definition: DefinitionDep
) -> dict:
    _check_write(request)
    rule_set = _rule_set(rt)
    replace_rule(meta, rule_set, rule_id=rule_id, definition=definition, **_who(request, user))
    return _changed(rt, rule_set, rule_id)


@router.delete("/{rule_id}")
def remove_rule(rule_id: str, request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep) -> dict:
    _check_write(request)
    rule_set = _rule_set(rt)
    delete_rule(meta, rule_set, rule_id=rule_id, **_who(request, user))
    rt.alerts.refresh_rules()
    return {"ok": True, "deleted": rule_id}

"""Plan files: a plan as reviewable JSON, sealed with a digest, and read back only when intact.

The digest is SHA-256 over the plan's canonical JSON (sorted keys, no whitespace) without
the digest itself. A plan edited after it was made, by hand or by a merge gone wrong, no
longer matches and is refused: apply must do exactly what was reviewed. The file holds no
secrets: the org's Id, instance and user are not credentials.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
from pydantic import ValidationError

from sfbridge.errors import PlanError
from sfbridge.ids import InvalidIdError, validate_id
from sfbridge.models import MAX_MERGED, MERGEABLE, Action, ActionKind, Plan, collection_paused
from sfbridge.soql import API_NAME

__all__ = ["PLAN_FORMAT", "plan_digest", "plan_json", "read_plan", "sealed"]

#: The plan file format this version writes and reads.
PLAN_FORMAT = 1


def _dumped(plan: Plan, *, exclude: set[str] | None, options: int) -> bytes:
    """The plan's JSON, as orjson writes pydantic's JSON form of it (``model_dump(mode="json")``).

    Made from the Python form instead, in a third of the time: a million-record plan has 57k
    actions, and pydantic's JSON form works out every ``Any`` value's type again. The two write
    the same bytes: enums as their values, tuples as lists, datetimes in ISO 8601 with UTC as
    ``Z`` (``OPT_UTC_Z``). A value orjson does not know (a Decimal) takes pydantic's way.
    """
    with collection_paused():  # a dict per action, none kept: the collector's passes would only re-scan them
        try:
            return orjson.dumps(plan.model_dump(exclude=exclude), option=options | orjson.OPT_UTC_Z)
        except orjson.JSONEncodeError:
            return orjson.dumps(plan.model_dump(mode="json", exclude=exclude), option=options)


def plan_digest(plan: Plan) -> str:
    """The digest of everything in a plan but its digest."""
    # A plan that does not know the org's kind is sealed without the field, as plans made
    # before sfbridge recorded it were: their digests stay valid.
    excluded = {"digest"} if plan.is_sandbox is not None else {"digest", "is_sandbox"}
    return hashlib.sha256(_dumped(plan, exclude=excluded, options=orjson.OPT_SORT_KEYS)).hexdigest()


def sealed(plan: Plan) -> Plan:
    """The plan with its digest set."""
    return plan.model_copy(update={"digest": plan_digest(plan)})


def plan_json(plan: Plan) -> bytes:
    """A sealed plan as indented JSON, keys sorted, for review and diffs."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    return _dumped(plan, exclude=None, options=options)


def read_plan(path: Path) -> Plan:
    """Read a plan file and check that it is whole and unedited.

    Args:
        path: the plan file.

    Returns:
        The plan.

    Raises:
        PlanError: naming the file and what is wrong (unreadable, not a plan, a format this
            version does not know, a digest that does not match its content, or an Id or an
            object or field name that is malformed, naming the action).
    """
    try:
        raw = orjson.loads(path.read_bytes())
    except OSError as exc:
        msg = f"cannot read the plan ({exc.strerror})"
        raise PlanError(msg, source=str(path)) from exc
    except orjson.JSONDecodeError as exc:
        msg = f"not a plan file: the JSON is broken ({exc}); make a new plan with sfbridge plan"
        raise PlanError(msg, source=str(path)) from exc
    if not isinstance(raw, dict) or "actions" not in raw:
        msg = "not a plan file: it has no actions; make one with sfbridge plan"
        raise PlanError(msg, source=str(path))
    if raw.get("format") != PLAN_FORMAT:
        msg = f"plan format {raw.get('format')!r} is not one this version reads ({PLAN_FORMAT}); make a new plan"
        raise PlanError(msg, source=str(path))
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        msg = f"not a valid plan: {where}: {first['msg']}; make a new plan with sfbridge plan"
        raise PlanError(msg, source=str(path)) from exc
    if not plan.digest or plan_digest(plan) != plan.digest:
        msg = (
            "the plan was changed after it was made (its digest does not match its content); "
            "apply only runs plans exactly as reviewed: make a new plan with sfbridge plan"
        )
        raise PlanError(msg, source=str(path))
    problem = _first_bad_name(plan)
    if problem is not None:
        msg = f"{problem}; make a new plan with sfbridge plan"
        raise PlanError(msg, source=str(path))
    return plan


def _first_bad_name(plan: Plan) -> str | None:
    """Describe the first Id or API name in a plan that apply could not send, or None.

    Checked after the digest, without changing any value: a plan is applied exactly as it
    was sealed, so a malformed Id is refused here rather than normalised.
    """
    checks: list[tuple[str, str | None, str | None]] = [
        ("org_id", plan.org_id, "Organization"),
        ("user_id", plan.user_id, "User"),
    ]
    for action in plan.actions:
        where = f"action {action.key!r}"
        problem = _bad_name(action, where)
        if problem is None and action.kind is ActionKind.MERGE_RECORDS:
            problem = _bad_merge(action, where)
        if problem is not None:
            return problem
        checks += _ids_of(action, where)
    for where, record_id, sobject in checks:
        if record_id is None:
            continue
        try:
            validate_id(record_id, sobject=sobject)
        except InvalidIdError as exc:
            return f"{where}: {exc}"
    return None


def _bad_name(action: Action, where: str) -> str | None:
    if not API_NAME.fullmatch(action.sobject):
        return f"{where}: sobject {action.sobject!r} is not a Salesforce object API name"
    for name in (*action.expected, *action.values):
        if not API_NAME.fullmatch(name):
            return f"{where}: {name!r} is not a Salesforce field API name"
    return None


def _ids_of(action: Action, where: str) -> list[tuple[str, str | None, str | None]]:
    """The Ids an action sends, as (where, Id, the object it must be of)."""
    ids: list[tuple[str, str | None, str | None]] = [(f"{where}: record_id", action.record_id, action.sobject)]
    if action.conversion is not None:
        conversion = action.conversion
        ids += [
            (f"{where}: conversion.account_id", conversion.account_id, "Account"),
            (f"{where}: conversion.contact_id", conversion.contact_id, "Contact"),
            # The new Account and Contact cannot be owned by a queue: a user owns them.
            (f"{where}: conversion.owner_id", conversion.owner_id, "User"),
        ]
    if action.merge is not None:
        ids += [(f"{where}: merge.merged_ids", record_id, action.sobject) for record_id in action.merge.merged_ids]
    return ids


def _bad_merge(action: Action, where: str) -> str | None:
    """Describe what makes a planned merge one Salesforce would refuse (or apply could not check), or None."""
    merge = action.merge
    if merge is None:
        return f"{where}: a MergeRecords action without its merge"
    if action.sobject not in MERGEABLE:
        return f"{where}: {action.sobject} records are not merged (only {', '.join(sorted(MERGEABLE))})"
    if merge.master_id != action.record_id:
        return f"{where}: merge.master_id is not the action's record"
    if not 1 <= len(merge.merged_ids) <= MAX_MERGED or action.record_id in merge.merged_ids:
        return f"{where}: a merge takes one or {MAX_MERGED} records other than its master"
    if set(merge.seen) != set(merge.record_ids):
        return f"{where}: merge.seen must name the SystemModstamp of every record of the merge"
    return None

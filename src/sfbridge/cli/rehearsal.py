"""`sfbridge demo --apply`: rehearse plan → apply → runs show → revert on a local sandbox of the demo org.

The sandbox is a simulated org served in this process (:mod:`sfbridge.sandbox`), seeded with
the records the demo just mirrored, answering as a sandbox (Organization.IsSandbox true) under
a name that says it is simulated. The same plan, apply and revert code as against a real org
runs against it: the SOAP convertLead and merge calls, the journal, the re-reads, the
Recycle Bin.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.table import Table

from sfbridge.cli.common import err, out
from sfbridge.config import DEFAULT_OBJECTS, AuthMethod, OrgProfile
from sfbridge.credentials import Secrets
from sfbridge.demo import DemoOrg
from sfbridge.models import ActionKind, JournalState
from sfbridge.output_files import write_output
from sfbridge.plan import PlanTarget, make_plan, plan_json
from sfbridge.push import ApplyReport, apply_plan
from sfbridge.push.destination import apply_line
from sfbridge.push.revert import revert_run
from sfbridge.report.journal import journal_table
from sfbridge.rules import load_rules
from sfbridge.salesforce import connect
from sfbridge.salesforce.gateway import SalesforceGateway
from sfbridge.salesforce.whoami import destination
from sfbridge.sandbox.describes import read_describes
from sfbridge.sandbox.org import SimulatedOrg
from sfbridge.sandbox.seed import local_sandbox, running_clock
from sfbridge.sandbox.writes import WritableOrg
from sfbridge.store import Store

__all__ = ["demo_sandbox", "rehearse", "sandbox_gateway"]

_PROFILE = "local-sandbox"
_SHOWN_STEPS = 3  # merges printed; `--json` and `sfbridge runs show` have them all


def demo_sandbox(demo_org: DemoOrg, mirror: Store) -> WritableOrg:
    """A local sandbox of the demo org, seeded with what the mirror holds (deleted records too)."""
    # The sandbox logs in as the mirror's first active user (the demo org's integration user is one).
    identity_user = next(str(row["Id"]) for row in mirror.rows("User") if row.get("IsActive"))
    records = {sobject: list(mirror.rows(sobject, include_deleted=True)) for sobject in DEFAULT_OBJECTS}
    return local_sandbox(
        org_id=demo_org.org_id,
        user_id=identity_user,
        instance_url=demo_org.profile.login_url,
        api_version=demo_org.profile.api_version,
        records={sobject: rows for sobject, rows in records.items() if rows},
        describes=read_describes(demo_org.folder / "describe"),
        clock=running_clock(demo_org.runs[-1] + timedelta(hours=1)),
    )


def sandbox_gateway(sandbox: SimulatedOrg) -> SalesforceGateway:
    """A gateway to a local sandbox, logged in as a client-credentials profile of its own."""
    profile = OrgProfile(
        name=_PROFILE,
        auth=AuthMethod.CLIENT_CREDENTIALS,
        login_url=sandbox.instance_url,
        api_version=sandbox.api_version,
        consumer_key="local-sandbox",
    )
    # The sandbox's token endpoint takes any client secret: there is nothing real to protect.
    secrets = Secrets(client_secret=SecretStr("local-sandbox"), consumer_key="local-sandbox")
    return connect(profile, secrets, transport=sandbox)


def rehearse(mirror: Store, demo_org: DemoOrg, folder: Path, *, as_json: bool) -> dict[str, Any]:
    """Plan, apply, show and revert on a local sandbox of the demo org; what each step did.

    Args:
        mirror: the demo's store (pulled and audited).
        demo_org: the bundled demo org.
        folder: where the plan file is written (``plan.json``, for ``sfbridge plan --show``).
        as_json: print nothing but the caller's JSON.
    """
    gateway = sandbox_gateway(demo_sandbox(demo_org, mirror))
    rules = load_rules(demo_org.rules)
    where = destination(gateway)
    identity = gateway.identity()
    target = PlanTarget(
        org=_PROFILE, api_version=demo_org.profile.api_version, user_id=identity.user_id, is_sandbox=where.is_sandbox
    )
    plan = make_plan(mirror, target=target, rules=rules, rules_file=demo_org.rules)
    plan_file = folder / "plan.json"
    write_output(plan_file, plan_json(plan), option="--out")
    if not as_json:
        line = apply_line(plan, where, profile=_PROFILE)
        err.print(f"Rehearsal on a LOCAL SANDBOX (nothing leaves this process). Applying {line}")
    applied = apply_plan(
        gateway,
        mirror,
        plan,
        org=_PROFILE,
        convert_batch_size=rules.plan.convert_batch_size,
        merge_batch_size=rules.merge.batch_size,
    )
    reverted = revert_run(gateway, mirror, applied.run_id, org=_PROFILE)
    summary = {
        "sandbox": where.line(),
        "plan": {"file": str(plan_file), "digest": plan.digest, "actions": len(plan.actions)},
        "apply": {
            "run_id": applied.run_id,
            "by_action": _by_action(applied),
            "complete": applied.complete,
        },
        "revert": {
            "run_id": reverted.run_id,
            "updates_put_back": sum(1 for e in reverted.outcomes if e.state is JournalState.DONE),
            "merges_undone": sum(1 for e in reverted.merges if e.state is JournalState.DONE),
            "conversions_not_reverted": len(reverted.conversions),
            "complete": reverted.complete,
        },
    }
    if not as_json:
        _print(summary, mirror, applied.run_id)
    return summary


def _by_action(applied: ApplyReport) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    for outcome in applied.outcomes:
        counts.setdefault(outcome.action.kind.value, Counter())[outcome.state.value] += 1
    return {kind: dict(sorted(states.items())) for kind, states in sorted(counts.items())}


def _print(summary: dict[str, Any], mirror: Store, apply_run: int) -> None:
    table = Table(title=f"Rehearsal: apply run {apply_run} on the local sandbox")
    for header in ("action", "done", "skipped", "failed"):
        table.add_column(header)
    for kind, states in summary["apply"]["by_action"].items():
        table.add_row(kind, *(str(states.get(state, 0)) for state in ("done", "skipped", "failed")))
    out.print(table)
    done = [
        entry
        for entry in mirror.journal_of_run(apply_run)
        if entry.kind is ActionKind.MERGE_RECORDS and entry.state is JournalState.DONE
    ]
    if done:
        title = f"runs show {apply_run}: its first merges, as the journal keeps them"
        out.print(journal_table(done[:_SHOWN_STEPS], title=title))
    revert = summary["revert"]
    out.print(
        f"Revert (run {revert['run_id']}): {revert['updates_put_back']} field updates put back, "
        f"{revert['merges_undone']} merges undone (merged records undeleted from the Recycle Bin), "
        f"{revert['conversions_not_reverted']} conversions left as they are (Salesforce cannot undo one). "
        f"The plan is {summary['plan']['file']}: sfbridge plan --show {summary['plan']['file']}",
        highlight=False,
        soft_wrap=True,
    )

"""`sfbridge demo`: the whole job on the bundled demo org, no credentials, no network; ends with report.html."""

from __future__ import annotations

import json
import tempfile
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from sfbridge.cli.auditing import AuditOutcome, OutOption, print_audit, run_audit
from sfbridge.cli.common import (
    JsonOption,
    LogFormat,
    LogFormatOption,
    StoreOption,
    VerboseOption,
    app,
    err,
    exit_codes,
    out,
    setup_logging,
)
from sfbridge.cli.pulling import print_pull, pull_options, run_pull
from sfbridge.errors import UsageError

__all__ = ["demo"]


@app.command()
def demo(
    store: StoreOption = None,
    out_dir: OutOption = None,
    open_report: Annotated[
        bool, typer.Option("--open", help="Open report.html in the default web browser when done.")
    ] = False,
    rehearse_apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Then rehearse plan, apply, runs show and revert on a local sandbox copy of the demo org "
            "(simulated in this process, never a real org).",
        ),
    ] = False,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Run sfbridge on the bundled demo org: no credentials, no network (a recorded org).

    Replays the org's first full pull and an incremental pull three hours later (edits,
    deletions, a new custom field) into a fresh store, then audits it and writes report.html.
    With --apply it goes on to the risky part, on a local sandbox: the plan, its apply, the
    journal and the revert.
    """
    from sfbridge.checks import select_checks
    from sfbridge.cli.rehearsal import rehearse
    from sfbridge.demo import load_demo_org
    from sfbridge.output_files import check_output_folder
    from sfbridge.report.terminal import pull_json, to_json
    from sfbridge.rules import load_rules
    from sfbridge.salesforce import replay_transport
    from sfbridge.store import Store, display_url

    setup_logging(log_format, verbose)
    folder = out_dir or Path("sfbridge-reports") / "demo"
    with exit_codes():
        check_output_folder(folder, option="--out")
    with exit_codes(), _demo_store(store) as url:
        demo_org = load_demo_org()
        mirror = Store.open(url)
        transport = replay_transport(demo_org.profile, config_dir=demo_org.folder)
        reports = []
        for _ in demo_org.runs:  # each recorded pull in turn, answered by the one transport
            _, report = run_pull(
                demo_org.profile,
                mirror,
                config_dir=demo_org.folder,
                options=pull_options(demo_org.profile),
                quiet=as_json,
                command="demo",
                transport=transport,
            )
            reports.append(report)
        outcome = run_audit(
            mirror,
            org="demo",
            rules=load_rules(demo_org.rules),
            checks=select_checks(None),
            out_dir=folder,
            command="demo",
            rules_file=demo_org.rules,
        )
        report_html = _report_html(outcome, folder)
        if not as_json:
            for title, report in zip(("First pull", "Incremental pull, three hours later"), reports, strict=False):
                print_pull(report, as_json=False, title=title)
            print_audit(outcome, out_dir=folder)
        rehearsal = rehearse(mirror, demo_org, folder, as_json=as_json) if rehearse_apply else None
        if as_json:
            runs = [json.loads(pull_json(report)) for report in reports]
            document = {"runs": runs, "audit": outcome.summary()}
            out.print_json(to_json(document | ({"rehearsal": rehearsal} if rehearsal is not None else {})))
        else:
            kept = f"kept at {display_url(url)}" if store else "a temporary store (use --store PATH to keep it)"
            err.print(f"Demo org {demo_org.org_id} replayed into {kept}.")
            out.print(f"HTML report: {report_html}", highlight=False, soft_wrap=True)
    if open_report:
        webbrowser.open(report_html.resolve().as_uri())


def _report_html(outcome: AuditOutcome, folder: Path) -> Path:
    """The audit's report.html: written with the other outputs, or here when they did not include it."""
    from sfbridge.output_files import write_atomically
    from sfbridge.report.html import render_report_html

    path = folder / "report.html"
    if path not in outcome.files:
        write_atomically(path, render_report_html(outcome.document))
    return path


@contextmanager
def _demo_store(store: str | None) -> Iterator[str]:
    from sfbridge.store import Store, display_url

    if store:
        if Store.open(store).recent_runs(limit=1):
            msg = (
                f"--store: {display_url(store)} already holds runs; the demo replays into a new store, "
                "choose another path"
            )
            raise UsageError(msg)
        yield store
        return
    # Windows cannot delete a file still open (the store's pooled connections): leave it to
    # the system's temporary-file cleanup rather than fail a demo that has done its work.
    with tempfile.TemporaryDirectory(prefix="sfbridge-demo-", ignore_cleanup_errors=True) as folder:
        yield str(Path(folder) / "demo.db")

"""`sfbridge demo --apply`: plan → apply → runs show → revert on a local sandbox, end to end."""

import json

from sfbridge.store import Store
from test_cli import invoke


def test_the_demo_rehearses_apply_and_revert_on_a_local_sandbox(tmp_path):
    store = tmp_path / "demo.db"
    result = invoke("demo", "--apply", "--json", "--out", str(tmp_path / "out"), "--store", str(store))
    assert result.exit_code == 0, result.output
    rehearsal = json.loads(result.stdout)["rehearsal"]
    assert rehearsal["sandbox"].startswith(
        "SANDBOX org 'sfbridge local sandbox (simulated in this process, not a real org)'"
    )
    applied = rehearsal["apply"]
    assert applied["complete"], applied
    assert set(applied["by_action"]) == {"ConvertLead", "MergeRecords", "UpdateRecord"}
    assert all(set(states) == {"done"} for states in applied["by_action"].values())
    reverted = rehearsal["revert"]
    assert reverted["complete"]
    assert reverted["merges_undone"] == applied["by_action"]["MergeRecords"]["done"]
    assert reverted["updates_put_back"] == applied["by_action"]["UpdateRecord"]["done"]
    assert reverted["conversions_not_reverted"] == applied["by_action"]["ConvertLead"]["done"]
    assert (tmp_path / "out" / "plan.json").exists()
    # The journal holds both runs, as `sfbridge runs show` lists them.
    mirror = Store.open(f"sqlite:///{store}", create=False)
    merges = [e for e in mirror.journal_of_run(applied["run_id"]) if e.kind.value == "MergeRecords"]
    assert merges
    assert all(e.state.value in {"sent", "done"} for e in merges)
    undone = [e for e in mirror.journal_of_run(reverted["run_id"]) if e.kind.value == "MergeRecords"]
    assert {e.state.value for e in undone} == {"sent", "done"}


def test_the_rehearsal_is_labelled_a_local_sandbox_on_the_terminal(tmp_path):
    result = invoke("demo", "--apply", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "Rehearsal on a LOCAL SANDBOX (nothing leaves this process)" in said
    assert "to SANDBOX org 'sfbridge local sandbox" in said
    assert "merges undone" in result.stdout

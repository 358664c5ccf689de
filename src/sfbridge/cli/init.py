"""`sfbridge init`: write a commented starter config and the check rules where sfbridge finds them.

A user who installed sfbridge from a package has no repository ``config/`` folder; this puts
``sfbridge.toml`` and ``rules.toml`` in the user's config folder (or, with ``--here``, in the
current folder), never over an existing file unless ``--force``, each written whole.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from sfbridge.cli.common import EXIT_USAGE, JsonOption, app, exit_codes, fail, out

__all__ = ["init"]


@app.command()
def init(
    here: Annotated[
        bool, typer.Option("--here", help="Write ./sfbridge.toml and ./rules.toml instead of the user's config folder.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that exist (they are replaced whole).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a commented starter config (sfbridge.toml) and the check rules (rules.toml).

    sfbridge looks for its config in this order: --config PATH, the SFBRIDGE_CONFIG variable,
    ./sfbridge.toml, ./config/sfbridge.toml, then sfbridge.toml in the user's config folder
    (where init writes unless --here).
    """
    from sfbridge.config import CONFIG_NAME, user_config_dir
    from sfbridge.output_files import write_atomically
    from sfbridge.report.terminal import to_json

    with exit_codes():
        folder = Path() if here else user_config_dir()
        targets = [folder / name for name in (CONFIG_NAME, "rules.toml")]
        existing = [str(path) for path in targets if path.exists()]
        if existing and not force:
            fail(f"{', '.join(existing)} already exists: edit it, or pass --force to replace it", EXIT_USAGE)
        folder.mkdir(parents=True, exist_ok=True)
        starters = files("sfbridge.starter")
        for path in targets:
            write_atomically(path, starters.joinpath(path.name).read_text(encoding="utf-8"))
        if as_json:
            out.print_json(to_json({"written": [str(path) for path in targets]}))
            return
        out.print(f"Wrote {targets[0]} and {targets[1]}.", highlight=False, soft_wrap=True)
        out.print(
            "Next: edit the config (uncomment an example for your org), then run `sfbridge orgs` and "
            "`sfbridge auth check --org NAME`; `sfbridge demo` works as it is.",
            highlight=False,
            soft_wrap=True,
        )

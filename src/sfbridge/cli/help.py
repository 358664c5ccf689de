"""`--help` that teaches: commands in the order of the work, examples under every command, plain flags.

Three things Typer's defaults get in an admin's way, fixed here in one place:

- commands listed in workflow order (demo, init, orgs, auth, pull, import, audit, report, trends,
  plan, apply, runs, revert, mappings), not the order the modules happened to register them;
- an "Examples" section under every command, as ``sf`` commands have;
- a flag shows no ``<bool>`` placeholder (``--yes`` takes no value), and an option that takes
  a list or a name shows what to type (``--checks CHECK,...``, ``--org NAME``); ``--checks``
  lists the check names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer.core
from typer.core import TyperCommand, TyperGroup, TyperOption

from sfbridge.check_names import CHECK_NAMES

if TYPE_CHECKING:  # Typer vendors click; its Context is what these methods receive
    from typer._click import Context

Command = TyperCommand | TyperGroup

__all__ = ["EXAMPLES", "JOB", "WORKFLOW", "HelpGroup", "WorkflowGroup"]

#: The commands in the order an admin meets them.
WORKFLOW = (
    "demo",
    "init",
    "orgs",
    "auth",
    "pull",
    "import",
    "audit",
    "report",
    "trends",
    "plan",
    "apply",
    "runs",
    "revert",
    "mappings",
)

#: What to type for options that take a value other than a plain word.
_METAVARS = {
    "--org": "NAME",
    "--target-org": "ALIAS",
    "--config": "FILE",
    "--store": "PATH|URL",
    "--out": "DIR",
    "--objects": "OBJECT,...",
    "--checks": "CHECK,...",
    "--orgs": "NAME,...",
    "--run": "RUN_ID",
    "--wait": "SECONDS",
    "--fail-on": "high|medium|low|info",
    "--org-id": "00D...",
    "--as-of": "DATETIME",
    "-o": "FILE",
}

#: The whole job, under `sfbridge --help`.
JOB = (
    "sfbridge demo --apply",
    "sfbridge init",
    "sfbridge audit --org acme-prod",
    "sfbridge plan --org acme-prod -o plan.json",
    "sfbridge apply plan.json",
    "sfbridge revert 14 --org acme-prod",
)

#: Examples under each command's help, by command path.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "demo": ("sfbridge demo --open", "sfbridge demo --apply --store demo.db"),
    "init": ("sfbridge init", "sfbridge init --here"),
    "orgs": ("sfbridge orgs", "sfbridge orgs --json"),
    "auth": ("sfbridge auth check --org acme-prod",),
    "auth check": ("sfbridge auth check --org acme-prod", "sfbridge auth check --target-org client-x --json"),
    "pull": ("sfbridge pull --org acme-prod", "sfbridge pull --org acme-prod --objects Lead,Contact --full"),
    "import": (
        "sfbridge import WE_00D5g000004XXXXEAA_1.ZIP --org client-x",
        "sfbridge import exports/ --org client-x --org-id 00D5g000004XXXXEAA --skip-unknown-columns",
    ),
    "audit": (
        "sfbridge audit --org acme-prod",
        "sfbridge audit --org acme-prod --offline --checks duplicate,stale_lead",
        "sfbridge audit --all-orgs --fail-on high",
    ),
    "report": ("sfbridge report --org acme-prod --run 12",),
    "trends": ("sfbridge trends --org acme-prod", "sfbridge trends --org acme-prod --checks duplicate --json"),
    "plan": (
        "sfbridge plan --org acme-prod -o plan.json",
        "sfbridge plan --show plan.json",
        "sfbridge plan --org acme-prod --offline --checks duplicate",
    ),
    "apply": ("sfbridge apply plan.json", "sfbridge apply plan.json --yes --json"),
    "runs": ("sfbridge runs --org acme-prod", "sfbridge runs show 14 --org acme-prod"),
    "runs show": ("sfbridge runs show 14 --org acme-prod", "sfbridge runs show 14 --org acme-prod --json"),
    "revert": ("sfbridge revert 14 --org acme-prod", "sfbridge revert 14 --org acme-prod --yes"),
    "mappings": ("sfbridge mappings export -o LeadConvertSettings.settings-meta.xml",),
    "mappings export": (
        "sfbridge mappings export -o LeadConvertSettings.settings-meta.xml",
        "sfbridge mappings export --config client-x/sfbridge.toml",
    ),
}


def _epilog(path: str) -> str | None:
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    # Rich help keeps paragraphs: one per example line, so each stays on a line of its own.
    return "Examples:\n\n" + "\n\n".join(f"  $ {example}" for example in examples)


def _display_type_rich(self: TyperOption, ctx: Context) -> str | None:
    """What an option's help shows after its name: nothing for a flag, a hint for a list or name."""
    if self.is_flag or self.count:
        return None
    for name in self.opts:
        if name in _METAVARS:
            return _METAVARS[name]
    return _typer_display_type_rich(self, ctx)


# Typer has no setting for these placeholders; its one method that renders them is replaced
# (for sfbridge's own commands: this module is imported by the CLI only).
_typer_display_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]


def _process_value(self: Any, ctx: Context, value: Any) -> Any:  # noqa: ANN401 (click's values are anything)
    """Typer's processing of an option's value, less building a coercer for an optional value not given.

    Typer (0.29) builds a parameter's pydantic ``TypeAdapter`` the first time the parameter is
    processed, even for ``None``, which its coercion then hands back untouched. A group's own
    options are processed before the group hands ``--help`` to a subcommand (``sfbridge runs
    show --help`` processes ``runs``' ``--org``, ``--config`` and ``--store``, all not given),
    so building them imported pydantic (~90 ms) to print help. Only that case is answered
    here: ``None`` for a single value that is not required and has no callback, which Typer
    would return as it is. Everything else (a list's ``()``, a missing required value, a
    callback) goes through Typer.
    """
    if value is None and not (self.multiple or self.nargs == -1 or self.required or self.callback is not None):
        return None
    return _typer_process_value(self, ctx, value)


# Typers before the pydantic coercion (pyproject allows >= 0.12) have no _TyperParameter and
# coerce with click's own types: nothing to spare there. tests/test_startup.py notices a rename.
_TyperParameter = getattr(typer.core, "_TyperParameter", None)
if _TyperParameter is not None:
    _typer_process_value = _TyperParameter.process_value
    _TyperParameter.process_value = _process_value


def _check_names() -> str:
    # The light list, not the registry: help must not load the checks (see sfbridge.check_names).
    return ", ".join(sorted(CHECK_NAMES))


def _teach(command: Command, path: str) -> Command:
    """Add the command's examples, and the check names to its --checks help (once)."""
    if command.epilog is None:
        command.epilog = _epilog(path)
    for param in command.params:
        if param.name == "checks" and isinstance(param, TyperOption) and "Checks:" not in (param.help or ""):
            param.help = f"{param.help or ''} Checks: {_check_names()}."
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            if isinstance(sub, TyperCommand | TyperGroup):
                _teach(sub, f"{path} {name}")
    return command


class HelpGroup(TyperGroup):
    """A command group whose ``--help`` option, when not given, is plainly off.

    Typer (0.29) gives a group's ``--help`` no default, so in ``sfbridge audit --help`` the
    group's own ``--help`` (not given: it belongs to ``audit``) arrives as ``None``, and Typer
    coerces every value that is not already a bool through a pydantic ``TypeAdapter`` built
    for it. Building that one adapter imports pydantic (~90 ms, ~14 MB) before any help is
    shown. With ``False`` as the default the flag is a bool and Typer skips the coercion; the
    option behaves as before (it is eager, not exposed, and only ``True`` prints help). The
    other options not given are spared the coercion by :func:`_process_value`; this one has a
    callback (it prints the help), which that leaves to Typer.
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        """Typer's help option, defaulting to ``False`` instead of ``None``."""
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


class WorkflowGroup(HelpGroup):
    """The top-level command group: workflow order, and every command taught by example."""

    def list_commands(self, ctx: Context) -> list[str]:
        """The commands in :data:`WORKFLOW` order (any other after them, by name)."""
        known = super().list_commands(ctx)
        rank = {name: index for index, name in enumerate(WORKFLOW)}
        return sorted(known, key=lambda name: (rank.get(name, len(WORKFLOW)), name))

    def get_command(self, ctx: Context, cmd_name: str) -> Any:  # noqa: ANN401 (click's Command, vendored by Typer)
        """The command, with its examples and, for --checks, the check names."""
        command = super().get_command(ctx, cmd_name)
        return _teach(command, cmd_name) if isinstance(command, TyperCommand | TyperGroup) else command

    def format_help(self, ctx: Context, formatter: Any) -> None:  # noqa: ANN401 (click's formatter)
        """Sfbridge's own help, with an example of the whole job first."""
        if self.epilog is None:
            self.epilog = "The job, start to end:\n\n" + "\n\n".join(f"  $ {example}" for example in JOB)
        super().format_help(ctx, formatter)

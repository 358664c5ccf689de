"""`sfbridge orgs` and `sfbridge auth check`: what is configured, and whether login works."""

from __future__ import annotations

from sfbridge.cli.common import (
    ConfigOption,
    JsonOption,
    LogFormat,
    LogFormatOption,
    OrgOption,
    TargetOrgOption,
    VerboseOption,
    app,
    auth_app,
    exit_codes,
    load_profile,
    out,
    setup_logging,
)

__all__ = ["auth_check", "orgs"]


@auth_app.command("check")
def auth_check(
    org: OrgOption = None,
    target_org: TargetOrgOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    log_format: LogFormatOption = LogFormat.AUTO,
    verbose: VerboseOption = 0,
) -> None:
    """Log in to an org and show the org, user, API version and API usage, or why it failed."""
    from sfbridge.credentials import resolve_secrets
    from sfbridge.report.terminal import auth_check_table, to_json
    from sfbridge.salesforce import connect
    from sfbridge.salesforce.whoami import check_auth

    setup_logging(log_format, verbose)
    with exit_codes():
        profile, config_dir = load_profile(config, org, target_org)
        check = check_auth(connect(profile, resolve_secrets(profile), config_dir=config_dir))
        if as_json:
            out.print_json(to_json(check.as_dict()))
        else:
            out.print(auth_check_table(check))


@app.command()
def orgs(
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the configured org profiles and whether their credentials are set (a broken profile with its error)."""
    from sfbridge.config import find_config_file, load_settings
    from sfbridge.credentials import credential_status, store_url
    from sfbridge.report.terminal import orgs_table, to_json
    from sfbridge.store import display_url

    with exit_codes():
        path = find_config_file(config)
        settings = load_settings(path)
        rows = [
            {
                "org": profile.name,
                "auth": profile.auth.value,
                "where": profile.instance_url or profile.login_url,
                "api_version": profile.api_version,
                "store": display_url(store_url(profile)),
                "credentials": credential_status(profile),
            }
            for profile in settings.orgs.values()
        ] + [
            {"org": name, "auth": "", "where": "", "api_version": "", "store": "", "credentials": f"broken: {error}"}
            for name, error in sorted(settings.broken.items())
        ]
        if as_json:
            out.print_json(to_json({"config": str(path), "orgs": rows}))
        else:
            out.print(orgs_table(rows))
            # Said again in full below the table: a narrow terminal folds cells, and the name of
            # the variable to set must be copyable whole.
            for row in rows:
                if str(row["credentials"]).startswith(("missing", "invalid", "broken")):
                    out.print(f"{row['org']}: {row['credentials']}", highlight=False, soft_wrap=True)

"""Salesforce metadata file names, without loading what writes the files.

``sfbridge mappings export --help`` names the LeadConvertSettings file; importing
:mod:`sfbridge.mappings` for that would load pydantic just to print a line of help.
"""

from __future__ import annotations

__all__ = ["SETTINGS_FILE_NAME"]

#: The file's name in an sf CLI project (``force-app/main/default/LeadConvertSettings/``), as
#: the CLI's metadata registry names it (directory LeadConvertSettings, suffix LeadConvertSetting).
SETTINGS_FILE_NAME = "LeadConvertSettings.LeadConvertSetting-meta.xml"

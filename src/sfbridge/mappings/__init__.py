"""Lead conversion field mappings: Lead field → Contact, Account or Opportunity field.

Loaded from ``config/mappings.toml`` (:mod:`.model`), checked against describe before any
write (:mod:`.validate`), applied after each conversion (:func:`values_to_write`), and
exported as a ``LeadConvertSettings`` metadata file (:mod:`.export`).
"""

from __future__ import annotations

from sfbridge.mappings.export import (
    METADATA_NAMESPACE,
    SETTINGS_FILE_NAME,
    lead_convert_settings_xml,
    split_exportable,
)
from sfbridge.mappings.model import (
    FieldMapping,
    MappingEntry,
    Mappings,
    OpportunityCreation,
    Policy,
    SettingsExport,
    TargetObject,
    find_mappings_file,
    load_mappings,
    values_to_write,
)
from sfbridge.mappings.validate import (
    COMPATIBLE_TYPES,
    InvalidMappingsError,
    MappingProblem,
    ProblemKind,
    require_valid_mappings,
    validate_mappings,
)

__all__ = [
    "COMPATIBLE_TYPES",
    "METADATA_NAMESPACE",
    "SETTINGS_FILE_NAME",
    "FieldMapping",
    "InvalidMappingsError",
    "MappingEntry",
    "MappingProblem",
    "Mappings",
    "OpportunityCreation",
    "Policy",
    "ProblemKind",
    "SettingsExport",
    "TargetObject",
    "find_mappings_file",
    "lead_convert_settings_xml",
    "load_mappings",
    "require_valid_mappings",
    "split_exportable",
    "validate_mappings",
    "values_to_write",
]

"""Write mappings as a Metadata API ``LeadConvertSettings`` file an admin can deploy.

Salesforce's own conversion mapping ("Map Lead Fields" in Setup) only takes custom Lead
fields to custom Account, Contact and Opportunity fields; the standard ones are fixed. So
only custom → custom mappings go in the file, and sfbridge writes the others itself after
each conversion. See the Metadata API guide, "LeadConvertSettings" (API 39.0 and later):
https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_leadconvertsettings.htm
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from sfbridge.mappings.model import FieldMapping, Mappings, TargetObject
from sfbridge.metadata_names import SETTINGS_FILE_NAME

__all__ = ["METADATA_NAMESPACE", "SETTINGS_FILE_NAME", "lead_convert_settings_xml", "split_exportable"]

METADATA_NAMESPACE = "http://soap.sforce.com/2006/04/metadata"


def _is_custom(field: str) -> bool:
    """Custom field API names end in ``__c`` (namespaced ones too).

    >>> _is_custom("acme__Score__c"), _is_custom("Industry")
    (True, False)
    """
    return field.casefold().endswith("__c")


def split_exportable(mappings: Mappings) -> tuple[list[FieldMapping], list[FieldMapping]]:
    """Split the mappings into those LeadConvertSettings can hold and those only sfbridge applies.

    Args:
        mappings: the mappings.

    Returns:
        (custom Lead field → custom target field mappings, every other mapping).
    """
    exportable: list[FieldMapping] = []
    others: list[FieldMapping] = []
    for rule in mappings.rules:
        both_custom = _is_custom(rule.lead_field) and _is_custom(rule.target_field)
        (exportable if both_custom else others).append(rule)
    return exportable, others


def lead_convert_settings_xml(mappings: Mappings) -> bytes:
    """Build the ``LeadConvertSettings`` metadata file (UTF-8 XML).

    Elements follow the metadata WSDL's order: ``allowOwnerChange``, one ``objectMapping`` per
    target object (``inputObject`` Lead, its ``mappingFields``, ``outputObject``), then
    ``opportunityCreationOptions``. The two options appear only when the mappings file sets them.

    Args:
        mappings: the mappings; only custom → custom ones are included (see split_exportable).

    Returns:
        The file's bytes.
    """
    root = ET.Element(_tag("LeadConvertSettings"))
    if mappings.export.allow_owner_change is not None:
        _child(root, "allowOwnerChange", "true" if mappings.export.allow_owner_change else "false")
    exportable, _ = split_exportable(mappings)
    for target in TargetObject:
        rules = [rule for rule in exportable if rule.target_object is target]
        if not rules:
            continue
        # At most three objectMappings, one per target object, each listing its field pairs.
        object_mapping = _child(root, "objectMapping")
        _child(object_mapping, "inputObject", "Lead")
        for rule in rules:
            pair = _child(object_mapping, "mappingFields")
            _child(pair, "inputField", rule.lead_field)
            _child(pair, "outputField", rule.target_field)
        _child(object_mapping, "outputObject", target.value)
    if mappings.export.opportunity_creation is not None:
        _child(root, "opportunityCreationOptions", mappings.export.opportunity_creation.value)
    ET.indent(root, space="    ")
    document: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True, default_namespace=METADATA_NAMESPACE)
    return document + b"\n"


def _tag(name: str) -> str:
    return f"{{{METADATA_NAMESPACE}}}{name}"


def _child(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _tag(name))
    element.text = text
    return element

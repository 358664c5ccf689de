"""Deterministic synthetic Salesforce orgs: the bundled demo org and benchmark orgs of any size.

`generate_org` derives every record from (seed, object, index), streams records per object in
bounded memory, and plants known problems whose `answer_key` the checks are scored against.
"""

from sfbridge_tools.synthetic.generator import (
    DEFAULT_SEED,
    DEFAULT_SNAPSHOT,
    INSTANCE_URL,
    SyntheticOrg,
    generate_org,
)
from sfbridge_tools.synthetic.shape import DEMO_SHAPE, OrgShape, shape_for_records

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SNAPSHOT",
    "DEMO_SHAPE",
    "INSTANCE_URL",
    "OrgShape",
    "SyntheticOrg",
    "generate_org",
    "shape_for_records",
]

"""The machine a benchmark ran on, named the same way in every results table."""

import os
import platform
from pathlib import Path


def machine() -> str:
    """CPU model, core count and Python."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine())
    return f"{model}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"

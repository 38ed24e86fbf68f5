"""Preview records shipped with the package (for previews, demos, tests and benchmarks).

They are plain :func:`certificates.data.from_dict` JSON files under ``certificates/preview/``.
"""
from __future__ import annotations

import json
from importlib import resources

from .data import CertificateData, from_dict

__all__ = ["sample_names", "load_sample"]


def sample_names() -> list[str]:
    """List the bundled preview records.

    :returns: names usable with :func:`load_sample`, e.g. ``"scale_verification"``
    """
    files = resources.files(__package__).joinpath("preview").iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".json"))


def load_sample(name: str) -> CertificateData:
    """Load a bundled preview record.

    :param name: one of :func:`sample_names`
    :returns: the validated record
    :raises KeyError: for an unknown name
    """
    if name not in sample_names():
        raise KeyError(f"sample: unknown preview record {name!r}; choose from {', '.join(sample_names())}")
    text = resources.files(__package__).joinpath("preview", f"{name}.json").read_text(encoding="utf-8")
    return from_dict(json.loads(text))

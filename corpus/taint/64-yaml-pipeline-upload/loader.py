"""YAML parsing for pipelines and runner settings."""

import yaml


def parse_pipeline(text):
    """Pipelines may use the !include and !env tags, which the full loader resolves."""
    return yaml.load(text, Loader=yaml.Loader)  # expect: py.unsafe-deserialization


def parse_settings(text):
    return yaml.load(text, Loader=yaml.SafeLoader) or {}  # safe: py.unsafe-deserialization

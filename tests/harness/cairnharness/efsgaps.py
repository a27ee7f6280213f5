"""efs: operations moto lacks, emulated by the harness (docs/testing.md)."""

GAPS = {}

"""Backends: where SQL runs. See base.py for the protocol the Rust core calls."""

"""Shared engine of the fake IRIS modules (tests only): an IRIS "instance" on sqlite.

``iris`` (embedded API and DBAPI API) and ``irisbuiltins`` under tests/fakes are
thin faces over this package; see engine.py for the model and its limits.
"""

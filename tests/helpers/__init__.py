"""Helpers for the end-to-end tests: real processes, real sockets, no mocks."""

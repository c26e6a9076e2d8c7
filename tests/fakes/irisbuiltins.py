"""Fake ``irisbuiltins`` (tests only): the module embedded Python's SQLError lives in."""


class SQLError(Exception):
    """What iris.sql raises: ``.sqlcode`` (negative int), ``.message``, ``.statement``."""

    def __init__(self, sqlcode: int, message: str, statement: str = "") -> None:
        super().__init__(f"SQLCODE {sqlcode}: {message}")
        self.sqlcode = sqlcode
        self.message = message
        self.statement = statement

"""``jsonb_path_match`` for the sqlite backend (``pg_jsonb_path_match``, src/translate/sqlite/mod.rs):
PostgreSQL's SQL/JSON path predicates in the subset tools send, evaluated as PostgreSQL
evaluates them in lax mode. LangChain's PGVector writes every metadata filter as
``jsonb_path_match(cmetadata, '$.field <op> $value', '{"value": ..}')``.

Supported: ``lax``/``strict`` prefixes; paths ``$``, ``.key``, ``."key"``, ``[n]``, ``[*]``,
``.*``; variables ``$name`` from the vars object; string, number, true/false/null literals;
``== != <> < <= > >=``, ``&&``, ``||``, ``!( )``, parentheses, ``exists( )``. Anything else
(arithmetic, filters ``?( )``, methods ``.type()``, ``like_regex``, ``starts with``) is refused
with 0A000 rather than answered differently.

Semantics (PostgreSQL's jsonpath_exec.c): a member of a missing key is the empty sequence in
lax mode, an array is unwrapped where a member is asked of it and in comparisons; a
comparison is true if any pair of items compares true, unknown (NULL) if none does and some
pair is of incomparable types, else false; null equals only null, and compares unequal (not
unknown) with anything else; strings order by code point; ``&&``, ``||`` and ``!`` follow
three-valued logic. ``jsonb_path_match`` returns the predicate's value, NULL for unknown.
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any, Callable, List, Optional

from iris_pgwire.errors import BackendError

UNKNOWN = object()

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*|\$"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<>|<=|>=|&&|\|\||[<>!()\[\].*$@,?+/%-])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


def _syntax(path: str) -> BackendError:
    return BackendError("42601", f'syntax error in jsonpath "{path}"')


def _unsupported(what: str) -> BackendError:
    return BackendError("0A000", f"jsonpath construct not supported by the sqlite backend: {what}",
                        hint="compare members with ==, <, .. against $variables or literals")


def _tokens(path: str) -> List[tuple]:
    out, pos = [], 0
    while pos < len(path):
        if path[pos:].strip() == "":
            break
        m = _TOKEN.match(path, pos)
        if not m or m.end() == pos:
            raise _syntax(path)
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the tokens; produces closures evaluating to a result."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.toks = _tokens(path)
        self.i = 0

    def peek(self, k: int = 0) -> Optional[tuple]:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def take(self, value: Optional[str] = None) -> tuple:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise _syntax(self.path)
        self.i += 1
        return tok

    def parse(self) -> Callable:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1] in ("lax", "strict"):
            if tok[1] == "strict":
                raise _unsupported("strict mode")
            self.i += 1
        expr = self.or_()
        if self.peek() is not None:
            raise _syntax(self.path)
        return expr

    # predicates: each returns ("pred", fn(root, vars) -> True/False/UNKNOWN)
    def or_(self):
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.i += 1
            left = ("pred", _or(_pred(left, self.path), _pred(self.and_(), self.path)))
        return left

    def and_(self):
        left = self.not_()
        while self.peek() == ("op", "&&"):
            self.i += 1
            left = ("pred", _and(_pred(left, self.path), _pred(self.not_(), self.path)))
        return left

    def not_(self):
        if self.peek() == ("op", "!"):
            self.i += 1
            self.take("(")
            inner = _pred(self.or_(), self.path)
            self.take(")")
            return ("pred", lambda root, vs: UNKNOWN if (r := inner(root, vs)) is UNKNOWN else not r)
        return self.comparison()

    def comparison(self):
        left = self.primary()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "!=", "<>", "<", "<=", ">", ">="):
            self.i += 1
            right = self.primary()
            return ("pred", _compare(tok[1], _items(left, self.path), _items(right, self.path)))
        if tok and tok[0] == "word" and tok[1] in ("like_regex", "starts", "is"):
            raise _unsupported(tok[1])
        if tok and tok[0] == "op" and tok[1] in ("+", "-", "*", "/", "%"):
            raise _unsupported("arithmetic")
        return left

    def primary(self):
        tok = self.peek()
        if tok is None:
            raise _syntax(self.path)
        kind, text = tok
        if (kind, text) == ("op", "("):
            self.i += 1
            inner = self.or_()
            self.take(")")
            return inner
        if kind == "word" and text == "exists":
            self.i += 1
            self.take("(")
            items = _items(self.or_(), self.path)
            self.take(")")
            return ("pred", lambda root, vs: bool(items(root, vs)))
        if kind == "num":
            self.i += 1
            value = _number(text)
            return ("items", lambda root, vs: [value])
        if kind == "str":
            self.i += 1
            value = json.loads(text)
            return ("items", lambda root, vs: [value])
        if kind == "word" and text in ("true", "false", "null"):
            self.i += 1
            value = {"true": True, "false": False, "null": None}[text]
            return ("items", lambda root, vs: [value])
        if kind == "var":
            self.i += 1
            name = json.loads(text[1:]) if text.startswith('$"') else text[1:]
            return ("items", self.accessors(_variable(name)))
        if (kind, text) == ("op", "$"):
            self.i += 1
            return ("items", self.accessors(lambda root, vs: [root]))
        if kind == "op" and text == "@":
            raise _unsupported("filter expressions")
        raise _syntax(self.path)

    def accessors(self, base: Callable) -> Callable:
        steps = []
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.i += 1
                nxt = self.take()
                if nxt == ("op", "*"):
                    steps.append(_any_member)
                elif nxt[0] == "word":
                    if self.peek() == ("op", "("):
                        raise _unsupported(f"method .{nxt[1]}()")
                    steps.append(_member(nxt[1]))
                elif nxt[0] == "str":
                    steps.append(_member(json.loads(nxt[1])))
                else:
                    raise _syntax(self.path)
            elif tok == ("op", "["):
                self.i += 1
                nxt = self.take()
                if nxt == ("op", "*"):
                    steps.append(_any_element)
                elif nxt[0] == "num" and re.fullmatch(r"\d+", nxt[1]):
                    steps.append(_element(int(nxt[1])))
                else:
                    raise _unsupported("array subscripts other than [n] and [*]")
                self.take("]")
            elif tok == ("op", "?"):
                raise _unsupported("filter expressions")
            else:
                break

        def run(root, vs):
            items = base(root, vs)
            for step in steps:
                items = [out for item in items for out in step(item)]
            return items

        return run


def _number(text: str) -> Any:
    d = decimal.Decimal(text)
    return int(d) if d == d.to_integral_value() and "." not in text and "e" not in text.lower() else d


def _variable(name: str) -> Callable:
    def get(root, vs):
        if not isinstance(vs, dict) or name not in vs:
            raise BackendError("42704", f'could not find jsonpath variable "{name}"')
        return [vs[name]]
    return get


def _member(key: str) -> Callable:
    def step(item):
        if isinstance(item, dict):
            return [item[key]] if key in item else []
        if isinstance(item, list):  # lax: unwrap
            return [e[key] for e in item if isinstance(e, dict) and key in e]
        return []
    return step


def _any_member(item):
    if isinstance(item, dict):
        return list(item.values())
    if isinstance(item, list):
        return [v for e in item if isinstance(e, dict) for v in e.values()]
    return []


def _element(n: int) -> Callable:
    def step(item):
        seq = item if isinstance(item, list) else [item]  # lax: a scalar is a one-element array
        return [seq[n]] if n < len(seq) else []
    return step


def _any_element(item):
    return item if isinstance(item, list) else [item]


def _items(node, path: str) -> Callable:
    if node[0] != "items":
        raise _unsupported("a predicate as a comparison operand")
    return node[1]


def _pred(node, path: str) -> Callable:
    if node[0] != "pred":
        # A bare path where a predicate is expected: PostgreSQL's grammar refuses it.
        raise _syntax(path)
    return node[1]


def _and(a: Callable, b: Callable) -> Callable:
    def run(root, vs):
        x = a(root, vs)
        if x is False:
            return False
        y = b(root, vs)
        if y is False:
            return False
        return UNKNOWN if UNKNOWN in (x, y) else True
    return run


def _or(a: Callable, b: Callable) -> Callable:
    def run(root, vs):
        x = a(root, vs)
        if x is True:
            return True
        y = b(root, vs)
        if y is True:
            return True
        return UNKNOWN if UNKNOWN in (x, y) else False
    return run


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float, decimal.Decimal)):
        return "num"
    if isinstance(v, str):
        return "str"
    return "container"


_CMP = {"==": lambda c: c == 0, "!=": lambda c: c != 0, "<>": lambda c: c != 0, "<": lambda c: c < 0,
        "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}


def _compare_items(op: str, a: Any, b: Any):
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        if "null" in (ka, kb):
            return op in ("!=", "<>")
        return UNKNOWN
    if ka == "container":
        return UNKNOWN
    if ka == "null":
        c = 0
    elif ka == "str":
        ca, cb = [ord(ch) for ch in a], [ord(ch) for ch in b]
        c = (ca > cb) - (ca < cb)
    else:
        x, y = (decimal.Decimal(str(v)) if not isinstance(v, bool) else int(v) for v in (a, b))
        c = (x > y) - (x < y)
    return _CMP[op](c)


def _compare(op: str, left: Callable, right: Callable) -> Callable:
    def unwrap(items):
        return [e for i in items for e in (i if isinstance(i, list) else [i])]

    def run(root, vs):
        found = error = False
        lefts, rights = unwrap(left(root, vs)), unwrap(right(root, vs))
        for a in lefts:
            for b in rights:
                r = _compare_items(op, a, b)
                if r is UNKNOWN:
                    error = True
                elif r:
                    found = True
                    return True
        return UNKNOWN if error and not found else found
    return run


def _predicate(node) -> Callable:
    """The whole path as a predicate: a path expression must give one boolean (or null)."""
    if node[0] == "pred":
        return node[1]
    items = node[1]

    def run(root, vs):
        got = items(root, vs)
        if len(got) == 1 and (got[0] is None or isinstance(got[0], bool)):
            return UNKNOWN if got[0] is None else got[0]
        raise BackendError("22038", "single boolean result is expected")
    return run


_compiled: dict = {}


def _load(text: Any, what: str) -> Any:
    if isinstance(text, (int, float)):
        return text
    try:
        return json.loads(text, parse_float=decimal.Decimal)
    except (TypeError, ValueError) as e:
        raise BackendError("22P02", f"invalid input syntax for type {what}", detail=str(e)) from None


def path_match(target: Optional[str], path: Optional[str], variables: Optional[str] = "{}") -> Optional[int]:
    """jsonb_path_match(target, path, vars): 1, 0, or NULL (unknown, or a NULL argument)."""
    if target is None or path is None or variables is None:
        return None
    fn = _compiled.get(path)
    if fn is None:
        fn = _predicate(_Parser(path).parse())
        if len(_compiled) < 1000:
            _compiled[path] = fn
    result = fn(_load(target, "json"), _load(variables, "json"))
    return None if result is UNKNOWN else int(result)

"""A structural check of ObjectScript class files (.cls), for a machine without IRIS.

Not a compiler: it checks what breaks a compile or a run most often in hand-written classes
of the style ipm/src/cls uses (full command names, one command per line or a block
`cmd ... { ... }`, multi-line expressions only inside parentheses):

- the class header and its members (Parameter, Property, [Class]Method, XData, Storage);
- balanced braces and parentheses in each method, outside strings and comments;
- every statement starts with a known command (`set`, `do`, `if`, ...; `:` postconditions);
  `else`/`elseif`/`catch` follow a `}`; DO calls something (not a `$function`);
- no QUIT with an argument inside TRY/CATCH (a compile error: RETURN is needed there);
- `$ZF(-100, flags, program[, args...])`: the shape, the keywords of a literal flags string,
  and a by-reference argument array (`.args`) only as the third and last argument;
- `..Method(`, `..#PARAM` and `##class(<same package>.X).Method(` name existing members;
  `$$$macros` and `$functions` come from known lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

COMMANDS = {
    "break", "catch", "close", "continue", "do", "else", "elseif", "for", "goto", "halt",
    "hang", "if", "job", "kill", "lock", "merge", "new", "open", "quit", "read", "return",
    "set", "tcommit", "throw", "trollback", "try", "tstart", "use", "view", "while", "write",
    "xecute", "zkill", "znspace", "zwrite",
}
FUNCTIONS = {
    "$case", "$char", "$data", "$extract", "$find", "$get", "$horolog", "$increment",
    "$isobject", "$job", "$length", "$list", "$listbuild", "$listfromstring", "$listget",
    "$listlength", "$listnext", "$namespace", "$order", "$piece", "$select", "$system",
    "$tlevel", "$translate", "$zchild", "$zconvert", "$zdatetime", "$zf", "$zhorolog",
    "$zstrip", "$ztimestamp", "$zversion",
}
MACROS = {"OK", "ISERR", "ISOK", "ERROR", "GeneralError", "ADDSC", "ThrowOnError",
          "ThrowStatus", "NULLOREF"}
# $ZF(-100) keywords (InterSystems ObjectScript reference, $ZF(-100)).
ZF100_KEYWORDS = {"/ASYNC", "/SHELL", "/LOGCMD", "/NOQUOTE", "/STDIN=", "/STDOUT=",
                  "/STDERR=", "/STDOUT+=", "/STDERR+="}
# Members every class has (%RegisteredObject / %SYSTEM.Task.Definition and friends).
INHERITED = {"%New", "%Save", "%ClassName", "%Id", "%OpenId", "%DeleteId"}
MEMBER_RE = re.compile(
    r"^(Parameter|Property|ClassMethod|Method|XData|Storage|Index|Query)\s+(%?[A-Za-z][A-Za-z0-9]*)", re.M)


@dataclass
class ClassFile:
    path: Path
    name: str
    members: dict[str, str] = field(default_factory=dict)  # name -> kind
    methods: dict[str, str] = field(default_factory=dict)  # name -> body
    problems: list[str] = field(default_factory=list)


def parse_class(path: Path) -> ClassFile:
    text = path.read_text()
    code = "\n".join("" if line.lstrip().startswith("///") else line for line in text.splitlines())
    m = re.search(r"^Class\s+([\w.%]+)(\s+Extends\s+\(?[\w.%, ]+\)?)?(\s*\[[^\]]*\])?\s*\n\{\n", code, re.M)
    cf = ClassFile(path, m.group(1) if m else "?")
    if not m:
        cf.problems.append("no `Class Name [Extends ...] {` header")
        return cf
    if not code.rstrip().endswith("}"):
        cf.problems.append("class body does not end with }")
    for mm in MEMBER_RE.finditer(code):
        cf.members[mm.group(2)] = mm.group(1)
        if mm.group(1) in ("ClassMethod", "Method"):
            body = _method_body(code, mm.end(), cf)
            if body is not None:
                cf.methods[mm.group(2)] = body
        elif mm.group(1) in ("Parameter", "Property"):
            line = code[mm.start():code.index("\n", mm.start())]
            if not line.rstrip().endswith(";"):
                cf.problems.append(f"{mm.group(2)}: {mm.group(1)} line does not end with ;")
    return cf


def _method_body(code: str, start: int, cf: ClassFile) -> str | None:
    """The text between the method's own `{` line and its closing `}` line."""
    open_at = code.find("\n{\n", start)
    close_at = code.find("\n}\n", open_at)
    if open_at < 0 or close_at < 0:
        cf.problems.append(f"method at offset {start}: no `{{` ... `}}` lines")
        return None
    signature = code[start:open_at]
    if signature.count("(") != signature.count(")"):
        cf.problems.append(f"method at offset {start}: unbalanced signature {signature!r}")
    return code[open_at + 3:close_at + 1]


def strip_line(line: str) -> tuple[str, list[str]]:
    """The line with string contents blanked and comments removed, and its string literals."""
    out, strings, i = [], [], 0
    while i < len(line):
        c = line[i]
        if c == '"':
            j, lit = i + 1, []
            while j < len(line):
                if line[j] == '"':
                    if j + 1 < len(line) and line[j + 1] == '"':
                        lit.append('"')
                        j += 2
                        continue
                    break
                lit.append(line[j])
                j += 1
            if j >= len(line):
                raise ValueError(f"unterminated string in {line!r}")
            strings.append("".join(lit))
            out.append('"' + "x" * (j - i - 1) + '"')  # same length as the source
            i = j + 1
            continue
        if line.startswith("//", i) or line.startswith("#;", i) or c == ";":
            break
        out.append(c)
        i += 1
    return "".join(out), strings


def check_class(cf: ClassFile, package: dict[str, ClassFile]) -> list[str]:
    problems = list(cf.problems)
    for name, body in cf.methods.items():
        problems += [f"{cf.name}.{name}: {p}" for p in _check_body(body, cf, package)]
    return problems


def _check_body(body: str, cf: ClassFile, package: dict[str, ClassFile]) -> list[str]:
    problems: list[str] = []
    blocks: list[str] = []  # "try", "catch", "block", "json"
    depth = 0  # parentheses
    stripped_lines = []
    for n, raw in enumerate(body.splitlines(), 1):
        try:
            line, _ = strip_line(raw)
        except ValueError as e:
            problems.append(f"line {n}: {e}")
            continue
        stripped_lines.append(raw)
        starts = [0] if depth == 0 else []
        i = 0
        while i < len(line):
            c = line[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth < 0:
                    problems.append(f"line {n}: unbalanced )")
                    depth = 0
            elif c == "{":
                before = line[:i].rstrip()
                blocks.append("json" if before[-1:] in ("=", "(", ",", ":", "{", "[") else
                              "try" if before.endswith("try") else
                              "catch" if re.search(r"\bcatch(\s+\w+)?$", before) else "block")
                if blocks[-1] != "json" and depth == 0:
                    starts.append(i + 1)
            elif c == "}":
                if not blocks:
                    problems.append(f"line {n}: unbalanced }}")
                else:
                    kind = blocks.pop()
                    if kind != "json" and depth == 0:
                        starts.append(i + 1)
            i += 1
        for s in starts:
            problems += [f"line {n}: {p}" for p in _check_statement(line[s:], blocks, raw)]
        problems += [f"line {n}: {p}" for p in _check_references(line, raw, cf, package)]
    if blocks:
        problems.append(f"{len(blocks)} unclosed {{")
    if depth:
        problems.append("unbalanced parentheses")
    problems += _check_zf(body)
    return problems


def _check_statement(rest: str, blocks: list[str], raw: str) -> list[str]:
    m = re.match(r"\s*([A-Za-z]+)(:?)", rest)
    if not m or rest.lstrip().startswith(("{", "}")):
        return []
    word = m.group(1).lower()
    if word not in COMMANDS:
        return [f"unknown command {m.group(1)!r} in {raw.strip()!r}"]
    problems = []
    if word in ("else", "elseif", "catch") and not raw.lstrip().startswith("}"):
        problems.append(f"{word} must follow }}: {raw.strip()!r}")
    if word in ("try", "else", "elseif", "if", "while", "catch") and "{" not in rest:
        problems.append(f"{word} without a block: {raw.strip()!r}")
    after = rest[m.end():]
    if m.group(2):  # postcondition: skip it
        after = re.sub(r"^[^ ]*", "", after)
    if word == "quit" and after.strip() and not after.strip().startswith("}") \
            and {"try", "catch"} & set(blocks):
        problems.append(f"QUIT with an argument inside TRY/CATCH (use RETURN): {raw.strip()!r}")
    if word == "do" and re.match(r"\s*\$(?!system\.|\$\$)", after):
        problems.append(f"DO needs a method or routine call, not a $function: {raw.strip()!r}")
    return problems


def _check_references(line: str, raw: str, cf: ClassFile, package: dict[str, ClassFile]) -> list[str]:
    problems = []
    for name in re.findall(r"(?<![\w#])\.\.(%?[A-Za-z][A-Za-z0-9]*)\(", line):
        if name not in cf.members and name not in INHERITED:
            problems.append(f"..{name}() is not a member of {cf.name}")
    for name in re.findall(r"\.\.#([A-Za-z][A-Za-z0-9]*)", line):
        if cf.members.get(name) != "Parameter":
            problems.append(f"..#{name} is not a parameter of {cf.name}")
    for cls, name in re.findall(r"##class\(([\w.%]+)\)\.(%?[A-Za-z][A-Za-z0-9]*)\(", line):
        if cls in package and name not in package[cls].members and name not in INHERITED:
            problems.append(f"##class({cls}).{name}() does not exist")
    for name in re.findall(r"\$\$\$(\w+)", line):
        if name not in MACROS:
            problems.append(f"unknown macro $$${name}")
    for name in re.findall(r"(?<![\w$])(\$[A-Za-z]+)", line):
        if name.lower() not in FUNCTIONS:
            problems.append(f"unknown function or special variable {name}")
    return problems


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments of a call whose text starts after `(`."""
    args, cur, depth, in_str, i = [], [], 0, False, 0
    while i < len(text):
        c = text[i]
        if in_str:
            cur.append(c)
            if c == '"':
                if text[i + 1:i + 2] == '"':
                    cur.append('"')
                    i += 1
                else:
                    in_str = False
        elif c == '"':
            in_str = True
            cur.append(c)
        elif c in "({[":
            depth += 1
            cur.append(c)
        elif c in ")}]":
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    raise ValueError("call not closed")


def string_literals(expr: str) -> list[str]:
    return [s.replace('""', '"') for s in re.findall(r'"((?:[^"]|"")*)"', expr)]


def zf100_calls(body: str) -> list[list[str]]:
    """Arguments of each $ZF( call in code (not in strings or comments)."""
    calls = []
    for raw in body.splitlines():
        line, _ = strip_line(raw)
        calls += [split_args(raw[m.end():]) for m in re.finditer(r"\$zf\(", line, re.I)]
    return calls


def _check_zf(body: str) -> list[str]:
    problems = []
    for args in zf100_calls(body):
        shown = "$zf(" + ", ".join(args) + ")"
        if not args or args[0] != "-100":
            problems.append(f"only $ZF(-100) is expected: {shown}")
            continue
        if len(args) < 3:
            problems.append(f"$ZF(-100, flags, program, ...) needs a program: {shown}")
            continue
        literal = "".join(string_literals(args[1]))
        for kw in re.findall(r"/[A-Z]+\+?=?", literal):
            if kw not in ZF100_KEYWORDS:
                problems.append(f"unknown $ZF(-100) keyword {kw}: {shown}")
        for pos, arg in enumerate(args):
            if arg.startswith(".") and not arg.startswith(".."):
                if pos != len(args) - 1 or pos != 3:
                    problems.append(f"by-reference argument array must be the 3rd and last: {shown}")
    return problems


def check_package(root: Path) -> tuple[dict[str, ClassFile], list[str]]:
    package = {cf.name: cf for cf in (parse_class(p) for p in sorted(root.rglob("*.cls")))}
    problems = []
    for cf in package.values():
        problems += check_class(cf, package)
    return package, problems

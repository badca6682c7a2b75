"""Reading the directory's YAML safely: bounded in size, depth and aliases, no duplicate keys.

A directory file comes from a provider's hands or tools, so the reader must stay cheap and
literal whatever it is given. PyYAML's SafeLoader is kept (no object construction) and tightened
where plain YAML lets a file lie or explode:

- a file over `MAX_BYTES` is refused before it is read;
- nesting deeper than `MAX_DEPTH` is refused while composing (the composer recurses: a 2 MB
  file of `[[[[...` would otherwise end in a RecursionError, a traceback instead of an error);
- more than `MAX_ALIASES` aliases, or a document that would expand to more than `MAX_NODES`
  nodes, is refused after composing and before anything is built: a 600-byte "billion laughs"
  of nested aliases composes into a few dozen nodes, but every later walk over it (checks,
  JSON, error messages) would visit billions;
- a key given twice in one mapping is an error (plain YAML lets the second silently win);
- an unquoted date that does not exist stays text (PyYAML raises a bare ValueError);
- YAML 1.1's integer surprises are off: an unquoted `0123` (a PIN, a customer number) would be
  the octal 83 and `8:00` the sexagesimal 480; here they stay text. Decimal integers stay
  integers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 2 * 1024 * 1024  # a provider with 10,000 customers writes about 1.5 MB
MAX_DEPTH = 20  # the directory itself nests 7 deep (customers, phones, a policy's levels)
MAX_ALIASES = 100  # anchors for shared contracts or policies: a few dozen at most
MAX_NODES = 1_000_000  # values after aliases are expanded; a 2 MB file without aliases has fewer

MERGE = "tag:yaml.org,2002:merge"


class Loader(yaml.SafeLoader):
    """SafeLoader with the limits and checks above; one instance reads one document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise ComposerError(
                    None,
                    None,
                    f"more than {MAX_ALIASES} aliases (*name): write the values out",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None and _expanded_size(node) > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"the aliases expand to more than {MAX_NODES:,} values",
                node.start_mark,
            )
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A key twice in one mapping is an error; merged keys (`<<: *base`) may be overridden."""
        if isinstance(node, MappingNode):
            first: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    earlier = first.setdefault(key, key_node)
                except TypeError:
                    continue  # an unhashable key: the constructor reports it
                if earlier is not key_node:
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first at line {earlier.start_mark.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def _timestamp(loader: Loader, node: yaml.ScalarNode) -> Any:
    """An unquoted date that does not exist (`2026-02-30`) stays text, for the schema to refuse
    with its field named; PyYAML would raise a bare ValueError (a traceback, no line)."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)


def _expanded_size(root: Node) -> int:
    """How many nodes the document has with every alias written out (shared nodes counted once
    per use), computed over the distinct nodes only, so it costs what the file costs."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 0) for c in children)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def where(exc: yaml.YAMLError) -> str:
    """`line 4, column 3: ...` for errors with a position, the message as it is otherwise."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        context = f" ({exc.context})" if exc.context else ""
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}{context}"
    return str(exc)


def parse(text: str) -> Any:
    """A YAML document as data; yaml.YAMLError for bad YAML or a limit passed."""
    return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a SafeLoader


def _head(file: BinaryIO) -> bytes | None:
    """The file's bytes, or None when it is larger than MAX_BYTES: a regular file is measured
    before anything is read, anything else (a pipe) is read in chunks up to the limit."""
    if os.fstat(file.fileno()).st_size > MAX_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BYTES and (chunk := file.read(64 * 1024)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks) if size <= MAX_BYTES else None


def read(path: str | Path) -> tuple[Any, str | None]:
    """The data of a directory file, or None and why it cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = _head(file)
    except OSError as exc:
        return None, exc.strerror or str(exc)
    if raw is None:
        return None, f"larger than {MAX_BYTES // (1024 * 1024)} MB: not a directory file"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})"
    try:
        return parse(text), None
    except yaml.YAMLError as exc:
        return None, where(exc)

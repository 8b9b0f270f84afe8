"""GitHub's CommonMark parser, cmark-gfm (C), reached through cffi: parsed once, always freed.

The compiled library comes with the ``cmarkgfm`` wheel, but that package's Python wrapper never
frees the document tree nor the HTML it renders: a whole-history export lost about 290 MB to it
(the process grew by the size of every tree it had parsed). Here the same shared object is
opened in cffi's ABI mode with the handful of entry points this project needs, and every
document is freed when its ``with`` block ends, whatever happens inside.

cmark-gfm releases the GIL and keeps its extension registry process-wide: two documents parsed
at once by different threads came out different (a bare URL linked in one, not the other), so
one lock serialises parsing and rendering.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import cmarkgfm._cmark as _compiled
from cffi import FFI
from cmarkgfm.cmark import Options

_ffi = FFI()
_ffi.cdef(
    """
    typedef struct cmark_node cmark_node;
    typedef struct cmark_parser cmark_parser;
    typedef struct cmark_syntax_extension cmark_syntax_extension;
    typedef struct cmark_llist cmark_llist;
    typedef struct cmark_mem {
        void *(*calloc)(size_t, size_t);
        void *(*realloc)(void *, size_t);
        void (*free)(void *);
    } cmark_mem;
    cmark_mem *cmark_get_default_mem_allocator(void);
    void cmark_gfm_core_extensions_ensure_registered(void);
    cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
    cmark_parser *cmark_parser_new(int options);
    int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *ext);
    cmark_llist *cmark_parser_get_syntax_extensions(cmark_parser *parser);
    void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
    cmark_node *cmark_parser_finish(cmark_parser *parser);
    void cmark_parser_free(cmark_parser *parser);
    char *cmark_render_html(cmark_node *root, int options, cmark_llist *extensions);
    void cmark_node_free(cmark_node *node);
    cmark_node *cmark_node_first_child(cmark_node *node);
    cmark_node *cmark_node_next(cmark_node *node);
    int cmark_node_get_type(cmark_node *node);
    const char *cmark_node_get_type_string(cmark_node *node);
    int cmark_node_get_start_line(cmark_node *node);
    int cmark_node_get_start_column(cmark_node *node);
    int cmark_node_get_end_line(cmark_node *node);
    int cmark_node_get_heading_level(cmark_node *node);
    int cmark_node_get_fenced(cmark_node *node, int *length, int *offset, char *character);
    const char *cmark_node_get_literal(cmark_node *node);
    """
)
_lib = _ffi.dlopen(_compiled.__file__)
_lib.cmark_gfm_core_extensions_ensure_registered()
_free = _lib.cmark_get_default_mem_allocator().free
# What GitHub renders a README with, as cmarkgfm's github_flavored_markdown_to_html does.
_EXTENSIONS = [
    _lib.cmark_find_syntax_extension(name)
    for name in (b"table", b"autolink", b"tagfilter", b"strikethrough", b"tasklist")
]
_GITHUB = Options.CMARK_OPT_GITHUB_PRE_LANG
UNSAFE = Options.CMARK_OPT_UNSAFE  # raw HTML kept as markup (for a sanitiser to see)
_LOCK = threading.Lock()
# Blocks whose children are inline content, which ``Block`` does not read.
_LEAVES = frozenset({"paragraph", "heading", "code_block", "html_block", "table_row",
                     "table_header", "thematic_break"})  # fmt: skip
_INT, _CHAR = _ffi.new("int *"), _ffi.new("char *")  # outputs read and ignored (lock held)
# Node type → its name ("table" is numbered at run time). Header and body rows share a type,
# so they share the name first seen: a table's header is its first row.
_TYPE_NAMES: dict[int, str] = {}


@dataclass(slots=True)
class Block:
    """One block of the tree: its kind, where it starts (1-based line and byte column) and
    ends, and what its kind needs (a heading's level, a code block's text and fence)."""

    kind: str
    line: int
    column: int
    end_line: int
    level: int = 0
    fenced: bool = False
    literal: str = ""
    children: list[Block] = field(default_factory=list)


class Document:
    """A parsed document, valid inside the ``parsed`` block that made it."""

    def __init__(self, root: object, extensions: object, options: int) -> None:
        self._root = root
        self._extensions = extensions
        self._options = options

    def blocks(self) -> list[Block]:
        """The document's blocks in order, nested as in the tree, without inline content."""
        return _children(self._root)

    def html(self) -> str:
        rendered = _lib.cmark_render_html(self._root, self._options, self._extensions)
        try:
            return _ffi.string(rendered).decode("utf-8", "replace")
        finally:
            _free(rendered)


@contextmanager
def parsed(text: str, options: int = 0) -> Iterator[Document]:
    """``text`` parsed as GitHub Flavored Markdown; the tree is freed on leaving the block."""
    data = text.encode("utf-8", "surrogatepass")
    options |= _GITHUB
    with _LOCK:
        parser = _lib.cmark_parser_new(options)
        root = _ffi.NULL
        try:
            for extension in _EXTENSIONS:
                _lib.cmark_parser_attach_syntax_extension(parser, extension)
            _lib.cmark_parser_feed(parser, data, len(data))
            root = _lib.cmark_parser_finish(parser)
            yield Document(root, _lib.cmark_parser_get_syntax_extensions(parser), options)
        finally:
            if root != _ffi.NULL:
                _lib.cmark_node_free(root)
            _lib.cmark_parser_free(parser)


def _kind(node: object) -> str:
    number = _lib.cmark_node_get_type(node)
    name = _TYPE_NAMES.get(number)
    if name is None:
        name = _TYPE_NAMES[number] = _ffi.string(_lib.cmark_node_get_type_string(node)).decode()
    return name


# The walk's entry points, looked up once: a tree has hundreds of blocks, each read by calls
# into the library (a NULL node is false).
_FIRST_CHILD, _NEXT = _lib.cmark_node_first_child, _lib.cmark_node_next
_START_LINE, _START_COLUMN = _lib.cmark_node_get_start_line, _lib.cmark_node_get_start_column
_END_LINE = _lib.cmark_node_get_end_line


def _children(parent: object) -> list[Block]:
    found: list[Block] = []
    node = _FIRST_CHILD(parent)
    while node:
        kind = _kind(node)
        block = Block(kind, _START_LINE(node), _START_COLUMN(node), _END_LINE(node))
        if kind == "heading":
            block.level = _lib.cmark_node_get_heading_level(node)
        elif kind == "code_block":
            block.fenced = bool(_lib.cmark_node_get_fenced(node, _INT, _INT, _CHAR))
            literal = _lib.cmark_node_get_literal(node)
            block.literal = _ffi.string(literal).decode("utf-8", "replace") if literal else ""
        if kind not in _LEAVES:
            block.children = _children(node)
        found.append(block)
        node = _NEXT(node)
    return found

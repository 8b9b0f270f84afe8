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


class Document:
    """A parsed document, valid inside the ``parsed`` block that made it."""

    def __init__(self, root: object, extensions: object, options: int) -> None:
        self._root = root
        self._extensions = extensions
        self._options = options

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

/* yamldoc.c: libyaml events to a marked node tree, refusing hostile input. */
#include "yamldoc.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct anchor {
    char *name;
    fd_ynode *node;
} anchor;

typedef struct builder {
    fd_ydoc *doc;
    fd_diags *d;
    fd_ynode *stack[FD_YAML_MAX_DEPTH + 1];
    size_t depth;
    anchor *anchors;
    size_t nanchors;
    int docs;
    bool failed;
} builder;

const char *fd_ykind_name(const fd_ynode *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case FD_Y_SCALAR:
        return "a value";
    case FD_Y_MAP:
        return "a mapping";
    case FD_Y_SEQ:
        return "a list";
    }
    return "a node";
}

static fd_ynode *node_new(fd_ydoc *doc, fd_ykind kind, int line, int col)
{
    fd_ynode *n = fd_xcalloc(1, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->weight = 1;
    if (doc->nall == doc->capall) {
        doc->capall = doc->capall ? doc->capall * 2 : 64;
        doc->all = fd_xrealloc(doc->all, doc->capall * sizeof *doc->all);
    }
    doc->all[doc->nall++] = n;
    return n;
}

static void node_push(fd_ynode *parent, fd_ynode *child)
{
    size_t slots = parent->kind == FD_Y_MAP ? parent->n * 2 : parent->n;
    parent->items = fd_xrealloc(parent->items, (slots + 1) * sizeof *parent->items);
    parent->items[slots] = child;
}

static void fail(builder *b, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(builder *b, int line, int col, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    fd_diag_vadd(b->d, b->doc->file, line, col, fmt, ap);
    va_end(ap);
    b->failed = true;
}

static void add_weight(builder *b, size_t w, int line, int col)
{
    for (size_t i = 0; i < b->depth; i++) {
        fd_ynode *p = b->stack[i];
        p->weight = p->weight + w > FD_YAML_MAX_NODES + 1 ? FD_YAML_MAX_NODES + 1 : p->weight + w;
    }
    if (b->depth && b->stack[0]->weight > FD_YAML_MAX_NODES)
        fail(b, line, col, "document has more than %d nodes (with aliases expanded)",
             FD_YAML_MAX_NODES);
}

/* Attaches a finished (or, for containers, just opened) node to the open parent. */
static void attach(builder *b, fd_ynode *n, const char *anchor_name)
{
    if (anchor_name) {
        b->anchors = fd_xrealloc(b->anchors, (b->nanchors + 1) * sizeof *b->anchors);
        b->anchors[b->nanchors].name = fd_strdup(anchor_name);
        b->anchors[b->nanchors].node = n;
        b->nanchors++;
    }
    if (b->depth == 0) {
        b->doc->root = n;
        return;
    }
    fd_ynode *p = b->stack[b->depth - 1];
    if (p->kind == FD_Y_SEQ) {
        node_push(p, n);
        p->n++;
        return;
    }
    /* A mapping: p->n counts complete pairs; a key waiting for its value sits at
     * items[2 * p->n] with key_pending set. */
    if (!p->key_pending) {
        if (n->kind != FD_Y_SCALAR) {
            fail(b, n->line, n->col, "mapping keys must be plain strings, got %s",
                 fd_ykind_name(n));
            return;
        }
        for (size_t i = 0; i < p->n; i++) {
            fd_ynode *k = p->items[2 * i];
            if (strcmp(k->str, n->str) == 0) {
                char *q = fd_printable(n->str, 60);
                fail(b, n->line, n->col, "duplicate key '%s' (first at line %d)", q, k->line);
                free(q);
                return;
            }
        }
        if (p->n >= FD_YAML_MAX_KEYS) {
            fail(b, n->line, n->col, "mapping has more than %d keys", FD_YAML_MAX_KEYS);
            return;
        }
        node_push(p, n);
        p->key_pending = true;
    } else {
        size_t at = p->n * 2 + 1;
        p->items = fd_xrealloc(p->items, (at + 1) * sizeof *p->items);
        p->items[at] = n;
        p->n++;
        p->key_pending = false;
    }
}

static void handle_event(builder *b, yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    int col = (int)ev->start_mark.column + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1)
            fail(b, line, col, "only one YAML document is allowed in a file");
        break;
    case YAML_SCALAR_EVENT: {
        fd_ynode *n = node_new(b->doc, FD_Y_SCALAR, line, col);
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
            fail(b, line, col, "value contains a NUL character");
            return;
        }
        n->str = fd_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        add_weight(b, 1, line, col);
        attach(b, n, (const char *)ev->data.scalar.anchor);
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth >= FD_YAML_MAX_DEPTH) {
            fail(b, line, col, "nesting is deeper than %d levels", FD_YAML_MAX_DEPTH);
            return;
        }
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        fd_ynode *n = node_new(b->doc, map ? FD_Y_MAP : FD_Y_SEQ, line, col);
        n->open = true;
        add_weight(b, 1, line, col);
        const char *anc = map ? (const char *)ev->data.mapping_start.anchor
                              : (const char *)ev->data.sequence_start.anchor;
        attach(b, n, anc);
        b->stack[b->depth++] = n;
        break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth) {
            fd_ynode *n = b->stack[--b->depth];
            n->open = false;
        }
        break;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        fd_ynode *target = NULL;
        for (size_t i = b->nanchors; i-- > 0;) {
            if (strcmp(b->anchors[i].name, name) == 0) {
                target = b->anchors[i].node;
                break;
            }
        }
        if (!target) {
            char *q = fd_printable(name, 60);
            fail(b, line, col, "alias '*%s' names no anchor defined before it", q);
            free(q);
            return;
        }
        if (target->open) {
            char *q = fd_printable(name, 60);
            fail(b, line, col, "alias '*%s' refers to a node that contains it", q);
            free(q);
            return;
        }
        add_weight(b, target->weight, line, col);
        if (!b->failed)
            attach(b, target, NULL);
        break;
    }
    default:
        break;
    }
}

static void line_col_at(const char *text, size_t len, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Offset of the first byte that does not start a valid UTF-8 sequence, or len.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + n > len)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n;
    }
    return len;
}

fd_ydoc *fd_ydoc_parse(const char *file, const char *text, size_t len, fd_diags *d)
{
    fd_ydoc *doc = fd_xcalloc(1, sizeof *doc);
    doc->file = fd_strdup(file);
    if (len > FD_YAML_MAX_BYTES) {
        fd_diag_add(d, file, 0, 0, "file is larger than 1 MiB (%zu bytes)", len);
        fd_ydoc_free(doc);
        return NULL;
    }
    size_t bad = utf8_invalid_at((const unsigned char *)text, len);
    if (bad < len) {
        int line, col;
        line_col_at(text, len, bad, &line, &col);
        fd_diag_add(d, file, line, col, "file is not valid UTF-8 text (byte 0x%02x)",
                    (unsigned char)text[bad]);
        fd_ydoc_free(doc);
        return NULL;
    }
    builder b = {.doc = doc, .d = d};
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            int line = (int)parser.problem_mark.line + 1, col = (int)parser.problem_mark.column + 1;
            const char *problem = parser.problem ? parser.problem : "syntax error";
            if (parser.error == YAML_READER_ERROR) {
                line_col_at(text, len, parser.problem_offset, &line, &col);
                if (parser.problem_value != -1)
                    fail(&b, line, col, "file is not valid UTF-8 text: %s (byte 0x%02x)", problem,
                         (unsigned)parser.problem_value & 0xff);
                else
                    fail(&b, line, col, "file is not valid UTF-8 text: %s", problem);
            } else if (parser.context) {
                fail(&b, line, col, "invalid YAML: %s %s (line %d)", problem, parser.context,
                     (int)parser.context_mark.line + 1);
            } else {
                fail(&b, line, col, "invalid YAML: %s", problem);
            }
            break;
        }
        yaml_event_type_t type = ev.type;
        handle_event(&b, &ev);
        yaml_event_delete(&ev);
        if (b.failed || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (b.failed) {
        fd_ydoc_free(doc);
        return NULL;
    }
    return doc;
}

fd_ydoc *fd_ydoc_load(const char *path, fd_diags *d)
{
    size_t len = 0;
    char *err = NULL;
    char *text = fd_read_file(path, FD_YAML_MAX_BYTES, &len, &err);
    if (!text) {
        if (strstr(err, "larger than"))
            fd_diag_add(d, path, 0, 0, "file is larger than 1 MiB");
        else
            fd_diag_add(d, path, 0, 0, "%s", err);
        free(err);
        return NULL;
    }
    fd_ydoc *doc = fd_ydoc_parse(path, text, len, d);
    free(text);
    return doc;
}

void fd_ydoc_free(fd_ydoc *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->nall; i++) {
        fd_ynode *n = doc->all[i];
        if (n->kind == FD_Y_SCALAR)
            free(n->str);
        free(n->items);
        free(n);
    }
    free(doc->all);
    free(doc->file);
    free(doc);
}

fd_ynode *fd_ymap_key(const fd_ynode *map, const char *key)
{
    if (!map || map->kind != FD_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->str, key) == 0)
            return map->items[2 * i];
    return NULL;
}

fd_ynode *fd_ymap_get(const fd_ynode *map, const char *key)
{
    if (!map || map->kind != FD_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->str, key) == 0)
            return map->items[2 * i + 1];
    return NULL;
}

/* yamldoc.h: a YAML document as a tree of marked nodes, read with libyaml.
 *
 * Every node keeps its line and column so that any later error can name them.
 * Hostile input is refused here, before anything else looks at it: files over
 * 1 MiB, more than one document, nesting past 64 levels, alias expansion past
 * 100 000 nodes (alias bombs), recursive aliases, invalid UTF-8, duplicate keys
 * and non-scalar keys. */
#ifndef FD_YAMLDOC_H
#define FD_YAMLDOC_H

#include "diag.h"

#include <stdbool.h>
#include <stddef.h>

#define FD_YAML_MAX_BYTES ((size_t)1 << 20)
#define FD_YAML_MAX_DEPTH 64
#define FD_YAML_MAX_NODES 100000
#define FD_YAML_MAX_KEYS 4096

typedef enum fd_ykind { FD_Y_SCALAR, FD_Y_MAP, FD_Y_SEQ } fd_ykind;

typedef struct fd_ynode {
    fd_ykind kind;
    int line, col;           /* 1-based position of the node's first character */
    char *str;               /* scalar value, NUL-terminated */
    bool plain;              /* scalar was written unquoted */
    bool secret;             /* scalar holds a value read from the environment */
    bool expanded;           /* ${...} substitution has been applied */
    struct fd_ynode **items; /* SEQ: n items; MAP: n pairs, key items[2i], value items[2i+1] */
    size_t n;
    size_t weight;    /* nodes in the subtree with aliases expanded (saturating) */
    bool open;        /* still being built (used to refuse recursive aliases) */
    bool key_pending; /* MAP being built: a key waits for its value */
} fd_ynode;

typedef struct fd_ydoc {
    char *file;     /* the name used in messages */
    fd_ynode *root; /* NULL for an empty document */
    fd_ynode **all; /* every node allocated, for freeing (aliases share nodes) */
    size_t nall;
    size_t capall;
} fd_ydoc;

/* Parses text; errors go to d naming `file`. Returns NULL on any error.
 * The caller frees with fd_ydoc_free. */
fd_ydoc *fd_ydoc_parse(const char *file, const char *text, size_t len, fd_diags *d);
/* Reads path (refusing files over FD_YAML_MAX_BYTES) and parses it. */
fd_ydoc *fd_ydoc_load(const char *path, fd_diags *d);
void fd_ydoc_free(fd_ydoc *doc);

/* The value for key in a mapping, or NULL. */
fd_ynode *fd_ymap_get(const fd_ynode *map, const char *key);
/* The key node for key in a mapping (for positions), or NULL. */
fd_ynode *fd_ymap_key(const fd_ynode *map, const char *key);
const char *fd_ykind_name(const fd_ynode *n);

#endif

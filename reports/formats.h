/* formats.h: the report formats, as bits: a scenario's `report: formats` and what
 * `firedrill report --format` asks the renderers for. */
#ifndef FD_FORMATS_H
#define FD_FORMATS_H

enum fd_format {
    FD_FORMAT_JSON = 1,
    FD_FORMAT_HTML = 2,
    FD_FORMAT_JUNIT = 4,
    FD_FORMAT_MARKDOWN = 8,
};

#endif

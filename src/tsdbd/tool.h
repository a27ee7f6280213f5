/*
 * tool: `cairn-tsdb tsdb list|analyze|dump|create-blocks-from`, in the spirit
 * of promtool's tsdb commands, with the same output formats (list's columns,
 * dump's "{labels} value timestamp" lines with Go's %g).
 */
#ifndef CAIRN_TSDBD_TOOL_H
#define CAIRN_TSDBD_TOOL_H

/* argv[0] is "tsdb". Returns the process exit code. */
int tool_main(int argc, char **argv);

#endif

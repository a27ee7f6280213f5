/*
 * Two halves of one job at once, for work that splits into independent
 * parts (a query's series, a large answer's text) on a machine whose second
 * core would otherwise sit idle while one request runs.
 */
#ifndef CAIRN_PAR_H
#define CAIRN_PAR_H

typedef void (*par_fn)(void *arg);

/* Run fn(a) on the calling thread and fn(b) on a new one, and wait for both; both here, one
 * after the other, when no thread can be had. */
void par_pair(par_fn fn, void *a, void *b);

#endif

/* A small pthread pool for the native backend: the caller runs part 0 of a task and the pool's workers run parts
 * 1..parts-1, each a disjoint slice chosen by dusk_range, so results do not depend on the number of threads. */
#ifndef DUSK_THREADS_H
#define DUSK_THREADS_H

#include <stddef.h>

typedef void (*dusk_task)(void *ctx, int part, int parts);

/* Sets the number of threads (the caller included); 1 stops all workers. */
void dusk_pool_resize(int threads);
/* Threads in use, the caller included. */
int dusk_pool_size(void);
/* Runs task(ctx, part, parts) for part = 0..parts-1 at once (parts is capped at the pool size) and waits. */
void dusk_parallel(dusk_task task, void *ctx, int parts);
/* A buffer of at least n floats owned by pool thread `part` (1..size-1), kept between calls. NULL if out of memory. */
float *dusk_pool_scratch(int part, size_t n);
/* The slice [*start, *start + *count) of [0, total) for part of parts, starts aligned to `align`. */
void dusk_range(int total, int part, int parts, int align, int *start, int *count);

#endif

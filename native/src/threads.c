/* The native backend's pthread pool (see threads.h): workers sleep on a condition variable, wake for each task
 * (a generation counter), run their part and report back; the caller waits until all have. */
#define _POSIX_C_SOURCE 200809L
#include "threads.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_THREADS 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[MAX_THREADS];
static int size = 1;
static unsigned long generation = 0;
static unsigned long start_generation = 0; /* the generation when the current workers were started */
static dusk_task task;
static void *task_ctx;
static int task_parts;
static int pending;
static int stopping;
static float *scratch[MAX_THREADS];
static size_t scratch_len[MAX_THREADS];

static void *worker_main(void *arg) {
  int id = (int)(intptr_t)arg;
  pthread_mutex_lock(&mu);
  /* not `generation`: the caller may already have posted the first task before this thread runs */
  unsigned long seen = start_generation;
  for (;;) {
    while (generation == seen && !stopping) pthread_cond_wait(&go, &mu);
    if (stopping) break;
    seen = generation;
    dusk_task t = task;
    void *ctx = task_ctx;
    int parts = task_parts;
    pthread_mutex_unlock(&mu);
    if (id < parts) t(ctx, id, parts);
    pthread_mutex_lock(&mu);
    if (--pending == 0) pthread_cond_signal(&done);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

void dusk_pool_resize(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (threads == size) return;
  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&go);
  pthread_mutex_unlock(&mu);
  for (int i = 1; i < size; i++) pthread_join(workers[i], NULL);
  stopping = 0;
  start_generation = generation;
  int started = 1;
  pthread_mutex_lock(&mu);
  for (int i = 1; i < threads; i++) {
    if (pthread_create(&workers[i], NULL, worker_main, (void *)(intptr_t)i) != 0) break;
    started++;
  }
  size = started;
  pthread_mutex_unlock(&mu);
}

int dusk_pool_size(void) { return size; }

void dusk_parallel(dusk_task t, void *ctx, int parts) {
  if (parts > size) parts = size;
  if (parts <= 1) {
    t(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&mu);
  task = t;
  task_ctx = ctx;
  task_parts = parts;
  pending = size - 1;
  generation++;
  pthread_cond_broadcast(&go);
  pthread_mutex_unlock(&mu);
  t(ctx, 0, parts);
  pthread_mutex_lock(&mu);
  while (pending > 0) pthread_cond_wait(&done, &mu);
  pthread_mutex_unlock(&mu);
}

float *dusk_pool_scratch(int part, size_t n) {
  if (part <= 0 || part >= MAX_THREADS) return NULL;
  if (scratch_len[part] < n) {
    free(scratch[part]);
    scratch[part] = (float *)malloc(n * sizeof(float));
    scratch_len[part] = scratch[part] ? n : 0;
  }
  return scratch[part];
}

void dusk_range(int total, int part, int parts, int align, int *start, int *count) {
  long chunk = ((long)total + parts - 1) / parts;
  chunk = (chunk + align - 1) / align * align;
  long s = chunk * part;
  long c = s >= total ? 0 : (total - s < chunk ? total - s : chunk);
  *start = (int)(s < total ? s : total);
  *count = (int)c;
}

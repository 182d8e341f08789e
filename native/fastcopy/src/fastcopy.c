/* dusk_fastcopy: copies a byte range from one open file to another off the JavaScript thread, with
 * copy_file_range(2) where the kernel has it (no copy through user space, as GNU cp does) and pread/pwrite
 * otherwise. Exposes copyRange(inFd, inOffset, outFd, outOffset, length) -> Promise<number of bytes>. */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  int in_fd, out_fd;
  int64_t in_off, out_off, length, done;
  int error;
  napi_async_work work;
  napi_deferred deferred;
} copy_job;

/* Copies with pread/pwrite through a 1 MiB buffer from the job's current position. */
static void copy_with_buffer(copy_job *job) {
  const size_t size = 1 << 20;
  char *buffer = malloc(size);
  if (!buffer) { job->error = ENOMEM; return; }
  while (job->done < job->length) {
    size_t want = (size_t)(job->length - job->done) < size ? (size_t)(job->length - job->done) : size;
    ssize_t got = pread(job->in_fd, buffer, want, job->in_off + job->done);
    if (got < 0) { if (errno == EINTR) continue; job->error = errno; break; }
    if (got == 0) { job->error = EIO; break; }
    ssize_t put = 0;
    while (put < got) {
      ssize_t n = pwrite(job->out_fd, buffer + put, (size_t)(got - put), job->out_off + job->done + put);
      if (n < 0) { if (errno == EINTR) continue; job->error = errno; free(buffer); return; }
      put += n;
    }
    job->done += got;
  }
  free(buffer);
}

static void execute(napi_env env, void *data) {
  (void)env;
  copy_job *job = data;
#ifdef __linux__
  while (job->done < job->length) {
    loff_t in_off = job->in_off + job->done, out_off = job->out_off + job->done;
    ssize_t n = copy_file_range(job->in_fd, &in_off, job->out_fd, &out_off, (size_t)(job->length - job->done), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) break;
      job->error = errno;
      return;
    }
    if (n == 0) { job->error = EIO; return; } /* the source ended early */
    job->done += n;
  }
#endif
  if (job->done < job->length) copy_with_buffer(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  copy_job *job = data;
  napi_value value;
  if (status == napi_ok && job->error == 0) {
    napi_create_double(env, (double)job->done, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    napi_value message, code;
    const char *name = job->error == ENOSPC ? "ENOSPC" : job->error == EDQUOT ? "EDQUOT" : job->error == EIO ? "EIO" : "ECOPY";
    napi_create_string_utf8(env, job->error ? strerror(job->error) : "copy cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, message, &value);
    napi_set_named_property(env, value, "code", code);
    napi_reject_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value copy_range(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 5) {
    napi_throw_type_error(env, NULL, "copyRange(inFd, inOffset, outFd, outOffset, length) takes 5 numbers");
    return NULL;
  }
  copy_job *job = calloc(1, sizeof(copy_job));
  if (!job) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  int32_t in_fd, out_fd;
  int64_t in_off, out_off, length;
  if (napi_get_value_int32(env, argv[0], &in_fd) != napi_ok || napi_get_value_int64(env, argv[1], &in_off) != napi_ok ||
      napi_get_value_int32(env, argv[2], &out_fd) != napi_ok || napi_get_value_int64(env, argv[3], &out_off) != napi_ok ||
      napi_get_value_int64(env, argv[4], &length) != napi_ok || in_off < 0 || out_off < 0 || length < 0) {
    free(job);
    napi_throw_type_error(env, NULL, "copyRange expects file descriptors and non-negative offsets and length");
    return NULL;
  }
  job->in_fd = in_fd; job->out_fd = out_fd; job->in_off = in_off; job->out_off = out_off; job->length = length;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "dusk_fastcopy", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "copyRange", NAPI_AUTO_LENGTH, copy_range, NULL, &fn);
  napi_set_named_property(env, exports, "copyRange", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

// N-API glue of dusk's llama.cpp scorer (plain node_api.h, no node-addon-api): open/run are async (a worker thread
// runs llama.cpp), tokenize/info/reset/close are synchronous. The JavaScript side (src/infer/fast-scorer.ts)
// serialises runs on one handle; reset, close and a second run are refused while a run is in flight.
#include <node_api.h>

#include <cstring>
#include <string>
#include <vector>

#include "scorer.h"

namespace {

struct Handle {
  Scorer* scorer = nullptr;
  bool busy = false;
};

#define NAPI_OK(call)                                     \
  do {                                                    \
    if ((call) != napi_ok) {                              \
      napi_throw_error(env, "DUSK_SCORER", #call " failed"); \
      return nullptr;                                     \
    }                                                     \
  } while (0)

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, "DUSK_SCORER", message.c_str());
  return nullptr;
}

bool get_string(napi_env env, napi_value value, std::string* out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length);
  return napi_get_value_string_utf8(env, value, out->data(), length + 1, &length) == napi_ok;
}

bool get_property(napi_env env, napi_value object, const char* name, napi_value* out) {
  bool has = false;
  return napi_has_named_property(env, object, name, &has) == napi_ok && has &&
         napi_get_named_property(env, object, name, out) == napi_ok;
}

bool get_uint(napi_env env, napi_value object, const char* name, uint32_t* out) {
  napi_value value;
  return get_property(env, object, name, &value) && napi_get_value_uint32(env, value, out) == napi_ok;
}

void finalize_handle(napi_env, void* data, void*) {
  Handle* handle = static_cast<Handle*>(data);
  if (!handle->busy) scorer_close(handle->scorer);  // a busy handle cannot be collected: its work holds a reference
  delete handle;
}

Handle* get_handle(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) return nullptr;
  return static_cast<Handle*>(data);
}

bool get_int32_array(napi_env env, napi_value value, std::vector<int32_t>* out) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_int32_array) return false;
  out->assign(static_cast<int32_t*>(data), static_cast<int32_t*>(data) + length);
  return true;
}

// ---- open(options) -> Promise<handle>

struct OpenWork {
  napi_async_work work;
  napi_deferred deferred;
  ScorerOptions options;
  Scorer* scorer = nullptr;
  std::string error;
};

void open_execute(napi_env, void* data) {
  OpenWork* w = static_cast<OpenWork*>(data);
  w->scorer = scorer_open(w->options, &w->error);
}

void open_complete(napi_env env, napi_status, void* data) {
  OpenWork* w = static_cast<OpenWork*>(data);
  if (w->scorer == nullptr) {
    napi_value message, error;
    napi_create_string_utf8(env, w->error.c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, w->deferred, error);
  } else {
    Handle* handle = new Handle();
    handle->scorer = w->scorer;
    napi_value external;
    napi_create_external(env, handle, finalize_handle, nullptr, &external);
    napi_resolve_deferred(env, w->deferred, external);
  }
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  OpenWork* w = new OpenWork();
  napi_value value;
  int32_t threads = 0;
  const bool ok = argc == 1 && get_property(env, argv[0], "modelPath", &value) && get_string(env, value, &w->options.model_path) &&
                  (!get_property(env, argv[0], "backendsDir", &value) || get_string(env, value, &w->options.backends_dir)) &&
                  get_uint(env, argv[0], "contextSize", &w->options.context_size) && get_uint(env, argv[0], "batchSize", &w->options.batch_size) &&
                  get_uint(env, argv[0], "sequences", &w->options.sequences) && get_property(env, argv[0], "threads", &value) &&
                  napi_get_value_int32(env, value, &threads) == napi_ok;
  if (!ok || threads < 1 || w->options.sequences < 2 || w->options.batch_size < 1) {
    delete w;
    return throw_error(env, "expected {modelPath, backendsDir?, contextSize, batchSize, sequences >= 2, threads >= 1}");
  }
  w->options.threads = threads;
  if (get_property(env, argv[0], "poll", &value) && (napi_get_value_int32(env, value, &w->options.poll) != napi_ok || w->options.poll < -1 || w->options.poll > 100)) {
    delete w;
    return throw_error(env, "expected poll from -1 to 100");
  }
  if (get_property(env, argv[0], "kvCacheType", &value)) {
    std::string type;
    if (!get_string(env, value, &type) || (type != "f16" && type != "f32")) {
      delete w;
      return throw_error(env, "expected kvCacheType \"f16\" or \"f32\"");
    }
    w->options.kv_f32 = type == "f32";
  }
  napi_value promise, name;
  NAPI_OK(napi_create_promise(env, &w->deferred, &promise));
  NAPI_OK(napi_create_string_utf8(env, "dusk-scorer-open", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_create_async_work(env, nullptr, name, open_execute, open_complete, w, &w->work));
  NAPI_OK(napi_queue_async_work(env, w->work));
  return promise;
}

// ---- run(handle, tokens, offsets, from, mode) -> Promise<{logprobs, greedy, stats}>

struct RunWork {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref handle_ref;
  Handle* handle;
  RunInput input;
  RunOutput output;
  std::string error;
  bool ok = false;
};

void run_execute(napi_env, void* data) {
  RunWork* w = static_cast<RunWork*>(data);
  w->ok = scorer_run(w->handle->scorer, w->input, &w->output, &w->error);
}

void set_number(napi_env env, napi_value object, const char* name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

void run_complete(napi_env env, napi_status, void* data) {
  RunWork* w = static_cast<RunWork*>(data);
  w->handle->busy = false;
  if (!w->ok) {
    napi_value message, error;
    napi_create_string_utf8(env, w->error.c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, w->deferred, error);
  } else {
    const size_t n = w->output.logprobs.size();
    napi_value result, logprob_buffer, logprobs, greedy_buffer, greedy, stats;
    void* bytes = nullptr;
    napi_create_object(env, &result);
    napi_create_arraybuffer(env, n * sizeof(double), &bytes, &logprob_buffer);
    if (n > 0) std::memcpy(bytes, w->output.logprobs.data(), n * sizeof(double));
    napi_create_typedarray(env, napi_float64_array, n, logprob_buffer, 0, &logprobs);
    napi_create_arraybuffer(env, n, &bytes, &greedy_buffer);
    if (n > 0) std::memcpy(bytes, w->output.greedy.data(), n);
    napi_create_typedarray(env, napi_uint8_array, n, greedy_buffer, 0, &greedy);
    napi_set_named_property(env, result, "logprobs", logprobs);
    napi_set_named_property(env, result, "greedy", greedy);
    napi_create_object(env, &stats);
    set_number(env, stats, "evaluatedTokens", (double)w->output.evaluated_tokens);
    set_number(env, stats, "reusedTokens", (double)w->output.reused_tokens);
    set_number(env, stats, "decodeCalls", (double)w->output.decode_calls);
    set_number(env, stats, "decodeMs", w->output.decode_ms);
    set_number(env, stats, "softmaxMs", w->output.softmax_ms);
    napi_set_named_property(env, result, "stats", stats);
    napi_resolve_deferred(env, w->deferred, result);
  }
  napi_delete_reference(env, w->handle_ref);
  napi_delete_async_work(env, w->work);
  delete w;
}

napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  Handle* handle = argc == 5 ? get_handle(env, argv[0]) : nullptr;
  if (handle == nullptr || handle->scorer == nullptr) return throw_error(env, "expected an open scorer handle");
  if (handle->busy) return throw_error(env, "expected an idle scorer but a run is in flight");
  RunWork* w = new RunWork();
  int32_t mode = 0;
  const bool ok = get_int32_array(env, argv[1], &w->input.tokens) && get_int32_array(env, argv[2], &w->input.offsets) &&
                  get_int32_array(env, argv[3], &w->input.from) && napi_get_value_int32(env, argv[4], &mode) == napi_ok &&
                  mode >= 0 && mode <= 2 && w->input.offsets.size() == w->input.from.size() + 1;
  bool offsets_ok = ok && w->input.offsets[0] == 0 && (size_t)w->input.offsets.back() == w->input.tokens.size();
  for (size_t r = 0; offsets_ok && r + 1 < w->input.offsets.size(); r++) offsets_ok = w->input.offsets[r] <= w->input.offsets[r + 1];
  if (!offsets_ok) {
    delete w;
    return throw_error(env, "expected run(handle, Int32Array tokens, Int32Array offsets (n + 1, from 0 to tokens.length), Int32Array from, mode 0..2)");
  }
  w->input.mode = static_cast<RunMode>(mode);
  w->handle = handle;
  napi_value promise, name;
  NAPI_OK(napi_create_reference(env, argv[0], 1, &w->handle_ref));
  NAPI_OK(napi_create_promise(env, &w->deferred, &promise));
  NAPI_OK(napi_create_string_utf8(env, "dusk-scorer-run", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(napi_create_async_work(env, nullptr, name, run_execute, run_complete, w, &w->work));
  handle->busy = true;
  NAPI_OK(napi_queue_async_work(env, w->work));
  return promise;
}

// ---- synchronous calls

/** The handle in argv[0]; `idle` refuses a handle with a run in flight (tokenize and info only read the vocabulary). */
Handle* open_handle(napi_env env, napi_callback_info info, size_t expected, napi_value* argv, bool idle) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < expected) {
    throw_error(env, "expected " + std::to_string(expected) + " arguments");
    return nullptr;
  }
  Handle* handle = get_handle(env, argv[0]);
  if (handle == nullptr || handle->scorer == nullptr) {
    throw_error(env, "expected an open scorer handle");
    return nullptr;
  }
  if (idle && handle->busy) {
    throw_error(env, "expected an idle scorer but a run is in flight");
    return nullptr;
  }
  return handle;
}

napi_value tokenize(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Handle* handle = open_handle(env, info, 3, argv, false);
  if (handle == nullptr) return nullptr;
  std::string text;
  bool add_bos = false;
  if (!get_string(env, argv[1], &text) || napi_get_value_bool(env, argv[2], &add_bos) != napi_ok) {
    return throw_error(env, "expected tokenize(handle, text, addBos)");
  }
  const std::vector<llama_token> tokens = scorer_tokenize(handle->scorer, text, add_bos);
  napi_value buffer, array;
  void* bytes = nullptr;
  NAPI_OK(napi_create_arraybuffer(env, tokens.size() * sizeof(int32_t), &bytes, &buffer));
  if (!tokens.empty()) std::memcpy(bytes, tokens.data(), tokens.size() * sizeof(int32_t));
  NAPI_OK(napi_create_typedarray(env, napi_int32_array, tokens.size(), buffer, 0, &array));
  return array;
}

napi_value info(napi_env env, napi_callback_info cb) {
  napi_value argv[1];
  Handle* handle = open_handle(env, cb, 1, argv, false);
  if (handle == nullptr) return nullptr;
  const Scorer* s = handle->scorer;
  napi_value result;
  NAPI_OK(napi_create_object(env, &result));
  set_number(env, result, "vocabSize", s->n_vocab);
  set_number(env, result, "contextSize", s->n_ctx);
  set_number(env, result, "batchSize", s->n_batch);
  set_number(env, result, "sequences", s->n_seq);
  set_number(env, result, "threads", s->threads);
  set_number(env, result, "bos", llama_vocab_bos(s->vocab));
  set_number(env, result, "eos", llama_vocab_eos(s->vocab));
  napi_value add_bos;
  NAPI_OK(napi_get_boolean(env, llama_vocab_get_add_bos(s->vocab), &add_bos));
  NAPI_OK(napi_set_named_property(env, result, "addBos", add_bos));
  return result;
}

napi_value reset(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Handle* handle = open_handle(env, info, 1, argv, true);
  if (handle == nullptr) return nullptr;
  scorer_reset(handle->scorer);
  return nullptr;
}

napi_value close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Handle* handle = open_handle(env, info, 1, argv, true);
  if (handle == nullptr) return nullptr;
  scorer_close(handle->scorer);
  handle->scorer = nullptr;
  return nullptr;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"open", nullptr, open, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tokenize", nullptr, tokenize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reset", nullptr, reset, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, close, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

// The scoring engine: one llama.cpp model + context with a unified KV cache, scoring teacher-forced requests
// (tokens, from) with shared prefixes evaluated once: sequence 0 holds the current context (kept between calls, so a
// fixed few-shot block is evaluated once per run), sequences 1..S-1 hold one continuation each.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"

struct ScorerOptions {
  std::string model_path;
  std::string backends_dir;  // folder with libggml-cpu-*.so, loaded when no CPU backend is registered yet (default: libllama's)
  uint32_t context_size = 4096;
  uint32_t batch_size = 512;
  uint32_t sequences = 8;
  int32_t threads = 1;
  int32_t poll = 0;    // threadpool polling level, 0 (sleep while waiting) to 100 (spin); -1: llama.cpp's per-decode pool
  bool kv_f32 = true;  // F32 K and V caches (llama.cpp's default F16 costs about 1e-3 nats on an F32 model)
};

/** What {@link scorer_run} does at each scored position. */
enum class RunMode : int32_t {
  kScore = 0,       // logits at every scored position, log-softmax at the target
  kLogitsOnly = 1,  // the same decodes and logits, no log-softmax (the "plain forward" baseline)
  kLastOnly = 2,    // the same tokens, logits only at the last evaluated token of the prefix and of each request
};

/** Requests in flat form: request r is tokens[offsets[r] .. offsets[r+1]) with targets from[r] .. end. */
struct RunInput {
  std::vector<int32_t> tokens;
  std::vector<int32_t> offsets;
  std::vector<int32_t> from;
  RunMode mode = RunMode::kScore;
};

struct RunOutput {
  std::vector<double> logprobs;  // one per target, requests in order
  std::vector<uint8_t> greedy;   // one per target
  int64_t evaluated_tokens = 0;  // tokens passed to llama_decode
  int64_t reused_tokens = 0;     // prefix tokens found already in sequence 0
  int64_t decode_calls = 0;
  double decode_ms = 0;
  double softmax_ms = 0;
};

struct Scorer {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;
  const llama_vocab* vocab = nullptr;
  int32_t n_vocab = 0;
  uint32_t n_ctx = 0;
  uint32_t n_batch = 0;
  uint32_t n_seq = 0;
  int32_t threads = 1;
  ggml_threadpool_t threadpool = nullptr;
  void (*threadpool_free)(ggml_threadpool_t) = nullptr;
  std::vector<llama_token> prefix;  // tokens held by sequence 0, positions 0..size-1
  llama_batch batch{};
};

/** Loads the model and creates the context; on failure returns nullptr and sets `error`. */
Scorer* scorer_open(const ScorerOptions& options, std::string* error);
void scorer_close(Scorer* scorer);
/** Forgets every sequence, sequence 0's prefix included. */
void scorer_reset(Scorer* scorer);
/** Evaluates the requests; false (with `error`) on a llama.cpp failure, after which the cache is empty. */
bool scorer_run(Scorer* scorer, const RunInput& input, RunOutput* output, std::string* error);
/** llama_tokenize without special-token parsing, with BOS prepended when asked and the vocabulary has one. */
std::vector<llama_token> scorer_tokenize(const Scorer* scorer, const std::string& text, bool add_bos);

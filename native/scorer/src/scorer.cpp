// The scoring engine (see scorer.h). Requests are taken in order and grouped while they share the first one's
// context; the group's context goes into sequence 0 (reusing whatever sequence 0 already holds), its last position's
// logits score every member's first target at once, each member's further tokens go into a copy of sequence 0, and
// log-softmax runs only at the target positions.
#include "scorer.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "ggml-backend.h"
#include "log_softmax.h"

namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/** One request of a RunInput, with the index of its first target in the output arrays. */
struct Request {
  const int32_t* tokens;
  int32_t n;
  int32_t from;
  int64_t out;
  bool has_targets() const { return from < n; }
};

/** A batch entry whose logits are read: the batch index, the output slot and the target token. */
struct PendingOutput {
  int32_t batch_index;
  int64_t out;
  llama_token target;
};

class Runner {
 public:
  Runner(Scorer* scorer, RunMode mode, RunOutput* output, std::string* error)
      : s_(scorer), mem_(llama_get_memory(scorer->ctx)), mode_(mode), out_(output), error_(error) {}

  bool run(const std::vector<Request>& requests) {
    size_t i = 0;
    while (i < requests.size()) {
      if (!requests[i].has_targets()) {
        i++;
        continue;
      }
      // A group: requests sharing the first one's context tokens [0, p), p = its from, with no target before p.
      const Request& first = requests[i];
      const int32_t p = first.from;
      size_t j = i + 1;
      while (j < requests.size()) {
        const Request& r = requests[j];
        if (r.has_targets() && (r.from < p || !std::equal(first.tokens, first.tokens + p, r.tokens))) break;
        j++;
      }
      if (!sync_prefix(requests, i, j, p)) return false;
      if (!run_members(requests, i, j, p)) return false;
      i = j;
    }
    return true;
  }

 private:
  /**
   * Makes sequence 0 hold exactly the group's tokens [0, p), evaluating what it does not hold yet and always the last
   * one, whose logits (computed once) give the first target of every member whose continuation starts at p.
   */
  bool sync_prefix(const std::vector<Request>& requests, size_t begin, size_t end, int32_t p) {
    const int32_t* tokens = requests[begin].tokens;
    std::vector<llama_token>& held = s_->prefix;
    size_t m = 0;
    while (m < held.size() && m + 1 < (size_t)p && held[m] == tokens[m]) m++;
    if (m < held.size()) {
      if (!llama_memory_seq_rm(mem_, 0, (llama_pos)m, -1)) {
        llama_memory_seq_rm(mem_, 0, -1, -1);
        m = 0;
      }
      held.resize(m);
    }
    out_->reused_tokens += (int64_t)m;
    for (int32_t t = (int32_t)m; t < p; t++) {
      const bool last = t + 1 == p;
      add(tokens[t], t, 0, last);
      held.push_back(tokens[t]);
      if (last && mode_ == RunMode::kScore) {
        for (size_t k = begin; k < end; k++) {
          const Request& r = requests[k];
          if (r.has_targets() && r.from == p) pending_.push_back({s_->batch.n_tokens - 1, r.out, r.tokens[p]});
        }
      }
      if ((last || (uint32_t)s_->batch.n_tokens == s_->n_batch) && !flush()) return false;
    }
    return true;
  }

  /**
   * Evaluates each member's tokens [p, n - 1) (the last token predicts nothing) in a copy of sequence 0, in rounds
   * of at most S - 1 sequences and n_ctx cells; logits at from - 1 .. n - 2 (or, in kLastOnly, at n - 2 only).
   */
  bool run_members(const std::vector<Request>& requests, size_t begin, size_t end, int32_t p) {
    size_t k = begin;
    while (k < end) {
      std::vector<const Request*> round;
      int64_t cells = p;
      while (k < end && round.size() + 1 < s_->n_seq) {
        const Request& r = requests[k];
        const int32_t own = r.n - 1 - p;
        if (!r.has_targets() || own <= 0) {
          k++;
          continue;
        }
        if (cells + own > (int64_t)s_->n_ctx) {
          if (!round.empty()) break;
          *error_ = "expected a request of at most " + std::to_string(s_->n_ctx) + " tokens but found " + std::to_string(r.n);
          return false;
        }
        cells += own;
        round.push_back(&r);
        k++;
      }
      if (round.empty()) break;
      bool ok = true;
      for (size_t m = 0; m < round.size() && ok; m++) {
        const llama_seq_id seq = (llama_seq_id)(m + 1);
        llama_memory_seq_cp(mem_, 0, seq, -1, -1);
        const Request& r = *round[m];
        for (int32_t t = p; t + 1 < r.n && ok; t++) {
          const bool wanted = mode_ == RunMode::kLastOnly ? t + 2 == r.n : t >= r.from - 1;
          if (wanted && mode_ == RunMode::kScore) pending_.push_back({s_->batch.n_tokens, r.out + (t + 1 - r.from), r.tokens[t + 1]});
          add(r.tokens[t], t, seq, wanted);
          if ((uint32_t)s_->batch.n_tokens == s_->n_batch) ok = flush();
        }
      }
      if (ok) ok = flush();
      for (size_t m = 0; m < round.size(); m++) llama_memory_seq_rm(mem_, (llama_seq_id)(m + 1), -1, -1);
      if (!ok) return false;
    }
    return true;
  }

  void add(llama_token token, llama_pos pos, llama_seq_id seq, bool output) {
    llama_batch& b = s_->batch;
    b.token[b.n_tokens] = token;
    b.pos[b.n_tokens] = pos;
    b.n_seq_id[b.n_tokens] = 1;
    b.seq_id[b.n_tokens][0] = seq;
    b.logits[b.n_tokens] = output ? 1 : 0;
    b.n_tokens++;
  }

  /** Decodes the batch and scores its pending outputs. */
  bool flush() {
    llama_batch& b = s_->batch;
    if (b.n_tokens == 0) return true;
    const auto start = std::chrono::steady_clock::now();
    const int32_t status = llama_decode(s_->ctx, b);
    out_->decode_ms += ms_since(start);
    out_->evaluated_tokens += b.n_tokens;
    out_->decode_calls++;
    b.n_tokens = 0;
    if (status != 0) {
      pending_.clear();
      *error_ = status == 1 ? "expected free KV cache cells for the batch but found none (raise contextSize)"
                            : "expected llama_decode to succeed but it returned " + std::to_string(status);
      return false;
    }
    const auto softmax_start = std::chrono::steady_clock::now();
    int32_t stats_index = -1;  // members sharing a row (their first target after a shared context) come in a run
    RowStats stats{};
    for (const PendingOutput& o : pending_) {
      const float* row = llama_get_logits_ith(s_->ctx, o.batch_index);
      if (row == nullptr || o.target < 0 || o.target >= s_->n_vocab) {
        *error_ = "expected a token id below " + std::to_string(s_->n_vocab) + " but found " + std::to_string(o.target);
        pending_.clear();
        return false;
      }
      if (o.batch_index != stats_index) {
        stats = row_stats(row, s_->n_vocab);
        stats_index = o.batch_index;
      }
      const TargetScore score = score_target(row, stats, o.target);
      out_->logprobs[(size_t)o.out] = score.logprob;
      out_->greedy[(size_t)o.out] = score.greedy ? 1 : 0;
    }
    pending_.clear();
    out_->softmax_ms += ms_since(softmax_start);
    return true;
  }

  Scorer* s_;
  llama_memory_t mem_;
  RunMode mode_;
  RunOutput* out_;
  std::string* error_;
  std::vector<PendingOutput> pending_;
};

/** The folder libllama was loaded from: node-llama-cpp keeps the ggml CPU backends (libggml-cpu-*.so) beside it. */
std::string llama_library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&llama_backend_init), &info) == 0 || info.dli_fname == nullptr) return "";
  const std::string file = info.dli_fname;
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
}

void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

}  // namespace

Scorer* scorer_open(const ScorerOptions& options, std::string* error) {
  llama_log_set(quiet_log, nullptr);
  const std::string backends_dir = options.backends_dir.empty() ? llama_library_dir() : options.backends_dir;
  if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == nullptr) ggml_backend_load_all_from_path(backends_dir.c_str());
  if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == nullptr) {
    *error = "expected a ggml CPU backend (libggml-cpu-*.so) in " + backends_dir + " but found none";
    return nullptr;
  }
  llama_backend_init();
  llama_model_params model_params = llama_model_default_params();
  model_params.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(options.model_path.c_str(), model_params);
  if (model == nullptr) {
    *error = "expected a GGUF model llama.cpp can load but could not load " + options.model_path;
    return nullptr;
  }
  llama_context_params params = llama_context_default_params();
  params.n_ctx = options.context_size;
  params.n_batch = options.batch_size;
  params.n_ubatch = options.batch_size;
  params.n_seq_max = options.sequences;
  params.n_outputs_max = 0;
  params.n_outputs_max_per_seq = 0;
  params.n_threads = options.threads;
  params.n_threads_batch = options.threads;
  params.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;  // as node-llama-cpp's default
  params.type_k = options.kv_f32 ? GGML_TYPE_F32 : GGML_TYPE_F16;
  params.type_v = params.type_k;
  params.kv_unified = true;  // copying a prefix to another sequence then shares its cells instead of copying data
  params.no_perf = true;
  llama_context* ctx = llama_init_from_model(model, params);
  if (ctx == nullptr) {
    llama_model_free(model);
    *error = "expected llama.cpp to create a context of " + std::to_string(options.context_size) + " tokens but it failed";
    return nullptr;
  }
  Scorer* scorer = new Scorer();
  if (options.poll >= 0) {
    // A persistent pool: no thread start per decode, and (poll 0) waiting threads sleep instead of spinning, which
    // keeps decoding fast when other processes share the cores.
    ggml_backend_reg_t cpu = ggml_backend_dev_backend_reg(ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU));
    typedef ggml_threadpool_t (*ThreadpoolNew)(ggml_threadpool_params*);
    typedef void (*ThreadpoolFree)(ggml_threadpool_t);
    auto threadpool_new = reinterpret_cast<ThreadpoolNew>(ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_new"));
    auto threadpool_free = reinterpret_cast<ThreadpoolFree>(ggml_backend_reg_get_proc_address(cpu, "ggml_threadpool_free"));
    if (threadpool_new != nullptr && threadpool_free != nullptr) {
      ggml_threadpool_params pool_params = ggml_threadpool_params_default(options.threads);
      pool_params.poll = (uint32_t)options.poll;
      scorer->threadpool = threadpool_new(&pool_params);
      scorer->threadpool_free = threadpool_free;
      if (scorer->threadpool != nullptr) llama_attach_threadpool(ctx, scorer->threadpool, scorer->threadpool);
    }
  }
  scorer->model = model;
  scorer->ctx = ctx;
  scorer->vocab = llama_model_get_vocab(model);
  scorer->n_vocab = llama_vocab_n_tokens(scorer->vocab);
  scorer->n_ctx = llama_n_ctx(ctx);
  scorer->n_batch = llama_n_batch(ctx);
  scorer->n_seq = options.sequences;
  scorer->threads = options.threads;
  scorer->batch = llama_batch_init((int32_t)scorer->n_batch, 0, 1);
  return scorer;
}

void scorer_close(Scorer* scorer) {
  if (scorer == nullptr) return;
  llama_batch_free(scorer->batch);
  llama_free(scorer->ctx);
  if (scorer->threadpool != nullptr) scorer->threadpool_free(scorer->threadpool);
  llama_model_free(scorer->model);
  delete scorer;
}

void scorer_reset(Scorer* scorer) {
  llama_memory_clear(llama_get_memory(scorer->ctx), true);
  scorer->prefix.clear();
}

bool scorer_run(Scorer* scorer, const RunInput& input, RunOutput* output, std::string* error) {
  const size_t count = input.from.size();
  std::vector<Request> requests(count);
  int64_t targets = 0;
  for (size_t r = 0; r < count; r++) {
    const int32_t n = input.offsets[r + 1] - input.offsets[r];
    requests[r] = {input.tokens.data() + input.offsets[r], n, input.from[r], targets};
    if (input.from[r] < 1) {
      *error = "expected from >= 1 (a token before the first target) but found " + std::to_string(input.from[r]);
      return false;
    }
    targets += std::max(0, n - input.from[r]);
  }
  output->logprobs.assign((size_t)targets, 0.0);
  output->greedy.assign((size_t)targets, 0);
  Runner runner(scorer, input.mode, output, error);
  if (runner.run(requests)) return true;
  scorer_reset(scorer);
  return false;
}

std::vector<llama_token> scorer_tokenize(const Scorer* scorer, const std::string& text, bool add_bos) {
  std::vector<llama_token> tokens(text.size() + 2);
  int32_t n = llama_tokenize(scorer->vocab, text.data(), (int32_t)text.size(), tokens.data(), (int32_t)tokens.size(), false, false);
  if (n < 0) {
    tokens.resize((size_t)-n);
    n = llama_tokenize(scorer->vocab, text.data(), (int32_t)text.size(), tokens.data(), (int32_t)tokens.size(), false, false);
  }
  tokens.resize((size_t)std::max(n, 0));
  const llama_token bos = llama_vocab_bos(scorer->vocab);
  if (add_bos && bos != LLAMA_TOKEN_NULL) tokens.insert(tokens.begin(), bos);
  return tokens;
}

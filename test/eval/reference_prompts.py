# Independent expectations for `dusk eval --dump-prompts` on the real rows in ../shared/data, written in Python
# after the 2023 lm-evaluation-harness's evaluator and tasks (random.Random seeded 42 per task: shuffle the eval
# docs, keep the first `limit`, then rnd.sample(train, k) per doc; MMLU takes dev[:k]; TruthfulQA 0-shot).
# Usage: python3 reference_prompts.py DATA_DIR LIMIT  -> JSON lines {task, doc_id, kind, context, continuation|until}
import collections
import csv
import json
import os
import random
import sys

data_dir, limit = sys.argv[1], int(sys.argv[2])
out = []

QA_PROMPT = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain."
)


def evaluate_task(name, docs, fewshot, num_fewshot, doc_to_text, doc_to_target, construct_requests, description=""):
    """docs: list of (doc_id, doc). fewshot(rnd, k) -> examples. Mirrors evaluator.evaluate + Task.fewshot_context."""
    task_docs = list(docs)
    rnd = random.Random()
    rnd.seed(42)
    rnd.shuffle(task_docs)
    for doc_id, doc in task_docs[:limit]:
        if num_fewshot == 0:
            labeled_examples = ""
        else:
            examples = fewshot(rnd, num_fewshot)
            labeled_examples = "\n\n".join([doc_to_text(d) + doc_to_target(d) for d in examples]) + "\n\n"
        desc = description + "\n\n" if description else ""
        ctx = desc + labeled_examples + doc_to_text(doc)
        for request in construct_requests(doc, ctx):
            out.append(dict(task=name, doc_id=doc_id, **request))


def loglik(ctx, cont):
    return {"kind": "loglikelihood", "context": ctx, "continuation": cont}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# GSM8K: greedy_until with the leaderboard's stop strings.
gsm_dir = os.path.join(data_dir, "gsm8k")
if os.path.isdir(gsm_dir):
    train = read_jsonl(os.path.join(gsm_dir, "train.jsonl"))
    test = read_jsonl(os.path.join(gsm_dir, "test.jsonl"))
    evaluate_task(
        "gsm8k",
        list(enumerate(test)),
        lambda rnd, k: rnd.sample(train, k),
        5,
        lambda d: "Question: " + d["question"] + "\nAnswer:",
        lambda d: " " + d["answer"],
        lambda d, ctx: [{"kind": "generate", "context": ctx, "until": [":", "Question:", "Question"]}],
    )

# TruthfulQA mc: mc1 targets then mc2 targets, each " " + answer; dict order = the file's key order.
tqa_path = os.path.join(data_dir, "truthfulqa", "mc_task.json")
if os.path.isfile(tqa_path):
    with open(tqa_path, encoding="utf-8") as f:
        rows = json.load(f, object_pairs_hook=collections.OrderedDict)
    evaluate_task(
        "truthfulqa_mc",
        list(enumerate(rows)),
        None,
        0,
        lambda d: QA_PROMPT + "\n\nQ: " + d["question"] + "\nA:",
        lambda d: " ",
        lambda d, ctx: [loglik(ctx, " " + t) for t in d["mc1_targets"].keys()] + [loglik(ctx, " " + t) for t in d["mc2_targets"].keys()],
    )

# MMLU: one task per subject with test data; description line; the first 5 dev rows; choices " A".." D".
mmlu_dir = os.path.join(data_dir, "mmlu")
if os.path.isdir(os.path.join(mmlu_dir, "test")):

    def read_csv(path):
        with open(path, encoding="utf-8", newline="") as f:
            return [{"question": r[0], "choices": r[1:5], "answer": "ABCD".index(r[5])} for r in csv.reader(f)]

    def mmlu_text(d):
        question = d["question"].strip()
        choices = "".join(["{}. {}\n".format(key, choice) for key, choice in zip("ABCD", d["choices"])])
        return "{}\n{}Answer:".format(question, choices)

    for name in sorted(os.listdir(os.path.join(mmlu_dir, "test"))):
        subject = name[: -len("_test.csv")]
        test = read_csv(os.path.join(mmlu_dir, "test", name))
        dev = read_csv(os.path.join(mmlu_dir, "dev", subject + "_dev.csv"))
        evaluate_task(
            "mmlu_" + subject,
            list(enumerate(test)),
            lambda rnd, k, dev=dev: dev[:k],
            5,
            mmlu_text,
            lambda d: " " + "ABCD"[d["answer"]],
            lambda d, ctx: [loglik(ctx, " " + key) for key in "ABCD"],
            description="The following are multiple choice questions (with answers) about " + " ".join(subject.split("_")) + ".",
        )

# llama.cpp's HellaSwag text under the llamacpp profile: file order, no shots, context line + " " + ending.
hs_path = os.path.join(data_dir, "hellaswag_llamacpp", "hellaswag_val.txt")
if os.path.isfile(hs_path):
    with open(hs_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for task_index in range(min(limit, len(lines) // 6)):
        context = lines[task_index * 6]
        for ending in lines[task_index * 6 + 2 : task_index * 6 + 6]:
            out.append(dict(task="hellaswag", doc_id=task_index, **loglik(context, " " + ending)))

for line in out:
    print(json.dumps(line, ensure_ascii=False))

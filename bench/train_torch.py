# bench/train's PyTorch side: the same Llama (4 layers, hidden 256, 4 heads, 2 KV heads, FFN 688, vocab 4096,
# untied head, RMSNorm, rope, causal GQA, SwiGLU) written plainly, AdamW, gradient clipping at 1, random tokens.
# Run with Debian's /usr/bin/python3 (python3-torch). Prints one JSON line: tokens per second of the timed steps.
# Usage: /usr/bin/python3 bench/train_torch.py <steps> <warmup-steps> <threads> [batch] [seq]
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

steps, warmup, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
B = int(sys.argv[4]) if len(sys.argv) > 4 else 8
T = int(sys.argv[5]) if len(sys.argv) > 5 else 128
torch.set_num_threads(threads)
torch.manual_seed(0)
L, C, NH, NKV, FF, V = 4, 256, 4, 2, 688, 4096
HD = C // NH
EPS = 1e-5


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1 = torch.nn.Parameter(torch.ones(C))
        self.n2 = torch.nn.Parameter(torch.ones(C))
        self.q = torch.nn.Linear(C, NH * HD, bias=False)
        self.k = torch.nn.Linear(C, NKV * HD, bias=False)
        self.v = torch.nn.Linear(C, NKV * HD, bias=False)
        self.o = torch.nn.Linear(NH * HD, C, bias=False)
        self.gate = torch.nn.Linear(C, FF, bias=False)
        self.up = torch.nn.Linear(C, FF, bias=False)
        self.down = torch.nn.Linear(FF, C, bias=False)

    def forward(self, x, cos, sin, mask):
        h = rmsnorm(x, self.n1)
        q = self.q(h).view(B, T, NH, HD).transpose(1, 2)
        k = self.k(h).view(B, T, NKV, HD).transpose(1, 2)
        v = self.v(h).view(B, T, NKV, HD).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.o(y)
        h = rmsnorm(x, self.n2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def rope(x, cos, sin):
    # adjacent pairs (x0, x1) rotated, as llama.cpp's rope mode 0
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, C)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(C))
        self.head = torch.nn.Linear(C, V, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
        inv = 1.0 / (10000 ** (torch.arange(0, HD, 2).float() / HD))
        ang = torch.arange(T).float()[:, None] * inv[None, :]
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, tokens, targets):
        x = self.emb(tokens)
        for block in self.blocks:
            x = block(x, self.cos, self.sin, self.mask)
        logits = self.head(rmsnorm(x, self.norm))
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


model = Llama()
params = sum(p.numel() for p in model.parameters())
decay = [p for p in model.parameters() if p.dim() == 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
gen = torch.Generator().manual_seed(0)


def step():
    tokens = torch.randint(0, V, (B, T), generator=gen)
    targets = torch.randint(0, V, (B, T), generator=gen)
    opt.zero_grad(set_to_none=True)
    loss = model(tokens, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


for _ in range(warmup):
    step()
start = time.perf_counter()
last = 0.0
for _ in range(steps):
    last = step()
seconds = time.perf_counter() - start
print(json.dumps({"tokens_per_second": steps * B * T / seconds, "seconds": seconds, "parameters": params, "loss": last, "torch": torch.__version__, "threads": torch.get_num_threads()}))

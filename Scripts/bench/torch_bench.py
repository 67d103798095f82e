"""The PyTorch side of `make bench`: the same work as Sources/DetoxBench, timed the same way
(median of 7 after 2 warm-up runs), printed as one JSON object keyed by figure name.

The model, LoRA/QLoRA and PPO figures (t5-small-sized, with transformers, PEFT, bitsandbytes
and TRL) come from model_bench.py, with fewer repeats for those big cases; the decoder-only ones
(gpt2, SmolLM2-135M and Qwen2.5-0.5B shapes) from decoder_bench.py.

Run: .venv/bin/python Scripts/bench/torch_bench.py > .build/bench-torch.json
     (optionally with a comma-separated list of sections: core, tokenizers, models, lora, ppo, decoder,
     or one part of decoder: decoder-forward, decoder-sample, decoder-lora, decoder-memory)
     The PPO step is not in the JSON: `detox-bench --python .venv/bin/python` runs this script with
     --serve-ppo-steps and interleaves TRL's steps with its own.
"""
import contextlib
import json
import pathlib
import sys
import time

import torch
import torch.nn.functional as F


def median(body, warmup=2, repeats=7):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


SECTIONS = ("core", "tokenizers", "models", "lora", "ppo", "decoder")


def main():
    if sys.argv[1:2] == ["--serve-ppo-steps"]:
        out = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            import model_bench

            model_bench.serve_ppo_steps(out, sys.argv[2] if len(sys.argv) > 2 else None)
        return
    sections = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else set(SECTIONS)
    figures = {}
    # Only the JSON goes to stdout; anything the libraries print goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        if "core" in sections:
            core_figures(figures)
        if "tokenizers" in sections:
            tokenizer_figures(figures)
        import model_bench

        model_bench.run(figures, sections)
        import decoder_bench

        decoder_bench.run(figures, sections)
    print(json.dumps(figures))


def core_figures(figures):
    torch.manual_seed(0)
    for m, k, n in [(512, 512, 512), (2048, 512, 2048), (2048, 2048, 512)]:
        a = torch.randn(m, k)
        b = torch.randn(n, k)
        with torch.no_grad():
            seconds = median(lambda: a @ b.T)
        figures[f"sgemm {m}x{k}x{n} GFLOP/s"] = 2.0 * m * n * k / seconds / 1e9

    rows, width, hidden = 2048, 512, 2048
    up = torch.nn.Linear(width, hidden)
    down = torch.nn.Linear(hidden, width)
    norm = torch.nn.LayerNorm(width)
    x = torch.randn(rows, width)
    targets = torch.randint(0, width, (rows,))

    def forward():
        return F.cross_entropy(norm(down(F.gelu(up(x)))), targets)

    with torch.no_grad():
        figures["mlp forward ms"] = median(forward) * 1e3

    def step():
        for p in (*up.parameters(), *down.parameters(), *norm.parameters()):
            p.grad = None
        forward().backward()

    figures["mlp forward+backward ms"] = median(step) * 1e3
    figures["threads"] = torch.get_num_threads()


TOKENIZER_FAMILIES = ("t5", "bert_cased", "bert_uncased", "roberta", "gpt2", "llama", "llama_nonlegacy", "qwen2")


def tokenizer_figures(figures):
    # Tokenizers: the parity fixtures, one string at a time (what a per-sample pipeline does); the
    # decoder-only families (gpt2, llama, llama_nonlegacy, qwen2) encode the same 560-string corpus.
    from tokenizers import Tokenizer

    fixtures = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "DetoxTokenizersTests" / "Fixtures"
    corpus = json.loads((fixtures / "corpus.json").read_text())
    # Then realistic-size tokenizers (32k byte-level BPE, ~25k WordPiece), trained into
    # .build/bench-tokenizers for the Swift side too.
    import make_large_tokenizers

    large = pathlib.Path(__file__).resolve().parents[2] / ".build" / "bench-tokenizers"
    make_large_tokenizers.make_all(large)
    files = [fixtures / family / "tokenizer.json" for family in TOKENIZER_FAMILIES]
    files += [large / family / "tokenizer.json" for family in ("gpt2_large", "bert_large")]
    for file in files:
        tokenizer = Tokenizer.from_file(str(file))
        seconds = median(lambda: [tokenizer.encode(text) for text in corpus], warmup=1, repeats=5)
        figures[f"tokenizer {file.parent.name} strings/s"] = len(corpus) / seconds


if __name__ == "__main__":
    main()

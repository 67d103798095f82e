"""The PyTorch / transformers / PEFT / bitsandbytes side of the decoder-only benchmarks in
Sources/DetoxBench/DecoderBenchmarks.swift: randomly initialised gpt2-shaped (124M) and
SmolLM2-135M-shaped models, the same shapes, seeds fixed, timed as the Swift side (model_bench's
REPEATS); and the peak resident memory of a Qwen2.5-0.5B-shaped NF4 model generating, measured in a
child process (`python decoder_bench.py --memory-child`). `torch_bench.py` merges these figures
into its JSON.

Parts (sections): decoder (all), decoder-forward, decoder-sample, decoder-lora, decoder-memory.
Figure names must match DecoderBenchmarks.swift.
"""
import ctypes
import gc
import json
import subprocess
import sys
import time

import torch

from model_bench import log, median

PARTS = ("decoder-forward", "decoder-sample", "decoder-lora", "decoder-memory")
BATCH, LENGTH = 8, 128
PROMPT_COUNT, NEW_TOKENS = 16, 30
LORA_RANK = 16
# Prompt i has 10 + 7·i mod 31 tokens (10…40), as DecoderBenchmarks.promptLengths.
PROMPT_LENGTHS = [10 + (7 * i) % 31 for i in range(PROMPT_COUNT)]
# The NF4 memory case samples fewer tokens: bitsandbytes' CPU 4-bit path (without the optional
# `kernels` package) dequantizes every weight at every step, several seconds a token on two cores.
MEMORY_NEW_TOKENS = 8
MEMORY_NAME = "qwen2.5-0.5b nf4 sample 16x10-40 +8 peak RSS MB"


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config())


def smollm2():
    """HuggingFaceTB/SmolLM2-135M's shape."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(
        vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
        num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
        tie_word_embeddings=True, bos_token_id=0, eos_token_id=0))


def qwen25():
    """Qwen/Qwen2.5-0.5B's shape (q/k/v biases, tied head)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    return Qwen2ForCausalLM(Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
        bos_token_id=151643, eos_token_id=151643))


FAMILIES = (("gpt2", gpt2, ["c_attn"]), ("smollm2-135m", smollm2, ["q_proj", "v_proj"]))


def random_ids(generator, rows, count, vocab, eos):
    ids = torch.randint(1, vocab, (rows, count), generator=generator)
    ids[ids == eos] = 1
    return ids


def prompts(generator, vocab, eos, pad):
    """The PROMPT_LENGTHS prompts, left-padded with `pad`, and their mask."""
    longest = max(PROMPT_LENGTHS)
    input_ids = torch.full((PROMPT_COUNT, longest), pad, dtype=torch.long)
    attention_mask = torch.zeros((PROMPT_COUNT, longest), dtype=torch.long)
    for row, count in enumerate(PROMPT_LENGTHS):
        input_ids[row, longest - count:] = random_ids(generator, 1, count, vocab, eos)[0]
        attention_mask[row, longest - count:] = 1
    return input_ids, attention_mask


def sample(model, input_ids, attention_mask, pad, new_tokens=NEW_TOKENS):
    """Pure sampling (top_k 0, top_p 1), exactly `new_tokens` tokens per row; returns the count."""
    with torch.no_grad():
        out = model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=True, top_k=0, top_p=1.0,
                             max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=pad)
    assert out.shape == (PROMPT_COUNT, input_ids.shape[1] + new_tokens), out.shape
    return PROMPT_COUNT * new_tokens


def family_figures(figures, family, build, targets, parts):
    from peft import LoraConfig, get_peft_model

    model = build().eval()
    vocab, eos = model.config.vocab_size, model.config.eos_token_id
    generator = torch.Generator().manual_seed(1)
    input_ids = random_ids(generator, BATCH, LENGTH, vocab, eos)
    attention_mask = torch.ones_like(input_ids)

    if "decoder-forward" in parts:
        name = f"{family} forward 8x128 ms"
        with torch.no_grad():
            seconds = median(lambda: model(input_ids=input_ids, attention_mask=attention_mask), "forward", figures,
                             name)
        figures[name] = seconds * 1e3
    if "decoder-sample" in parts:
        name = f"{family} sample 16x10-40 +30 tokens/s"
        prompt_ids, prompt_mask = prompts(generator, vocab, eos, pad=eos)
        torch.manual_seed(2)
        seconds = median(lambda: sample(model, prompt_ids, prompt_mask, eos), "generation", figures, name)
        figures[name] = PROMPT_COUNT * NEW_TOKENS / seconds
    if "decoder-lora" in parts:
        name = f"{family} lora r16 train step 8x128 ms"
        config = LoraConfig(r=LORA_RANK, lora_alpha=LORA_RANK, target_modules=targets, lora_dropout=0.0, bias="none",
                            task_type="CAUSAL_LM")
        peft_model = get_peft_model(model, config)
        peft_model.train()
        optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            peft_model(input_ids=input_ids, attention_mask=attention_mask, labels=input_ids).loss.backward()
            optimizer.step()

        figures[name] = median(step, "training_step", figures, name) * 1e3
    log(f"decoder: {family} done")


def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_child():
    """Builds the Qwen2.5-0.5B-shaped model (seeded), quantizes every linear layer but the (tied)
    head with bitsandbytes NF4 and double quantization, returns freed heap pages to the kernel, resets
    the peak resident size, samples MEMORY_NEW_TOKENS tokens for the 16 prompts and prints one JSON
    line (as the Swift child)."""
    from model_bench import quantize_nf4

    model = qwen25().eval()
    quantize_nf4(model, keep=lambda name: name == "lm_head")
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    load_peak, loaded = status_mb("VmHWM"), status_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    generator = torch.Generator().manual_seed(1)
    eos = model.config.eos_token_id
    input_ids, attention_mask = prompts(generator, model.config.vocab_size, eos, pad=eos)
    torch.manual_seed(2)
    start = time.perf_counter()
    sample(model, input_ids, attention_mask, eos, new_tokens=MEMORY_NEW_TOKENS)
    seconds = time.perf_counter() - start
    print(json.dumps({"generate_peak_mb": status_mb("VmHWM"), "loaded_mb": loaded, "load_peak_mb": load_peak,
                      "seconds": seconds}, sort_keys=True))


def memory_figures(figures, notes):
    result = subprocess.run([sys.executable, __file__, "--memory-child"], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        message = f"the bitsandbytes NF4 child failed ({result.returncode}): {result.stderr.strip()[-300:]}"
        log(message)
        notes[f"note: {MEMORY_NAME}"] = message
        return
    child = json.loads(lines[-1])
    figures[MEMORY_NAME] = child["generate_peak_mb"]
    figures[f"python loaded MB: {MEMORY_NAME}"] = child["loaded_mb"]
    log(f"decoder: memory child {child}")


def run(figures, sections):
    parts = set(PARTS) if "decoder" in sections else set(PARTS) & set(sections)
    notes = {}
    for family, build, targets in FAMILIES:
        if parts & {"decoder-forward", "decoder-sample", "decoder-lora"}:
            family_figures(figures, family, build, targets, parts)
    if "decoder-memory" in parts:
        memory_figures(figures, notes)
    figures.update(notes)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory-child"]:
        memory_child()  # the parent reads the last line of stdout

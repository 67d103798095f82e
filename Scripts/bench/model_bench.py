"""The PyTorch / transformers / PEFT / bitsandbytes / TRL side of the model benchmarks in
Sources/DetoxBench/ModelBenchmarks.swift: the same shapes, seeds fixed, timed as the Swift side
(median of a few runs after one warm-up). `torch_bench.py` merges these figures into its JSON.

Figure names must match ModelBenchmarks.swift. A figure that cannot be measured here is left out
and explained under "note: <figure name>" (a string, which the Swift report prints beside its own).
"""
import sys
import time

import torch

# Shapes of the issues: t5-small-sized model (transformers' T5Config() defaults), batch 8,
# 256 source tokens, 64 target tokens; PPO batch 16, mini-batch 4, 4 epochs, 64 response tokens.
BATCH, SOURCE, TARGET, NEW_TOKENS = 8, 256, 64, 64
PPO_BATCH, PPO_MINI_BATCH, PPO_EPOCHS = 16, 4, 4
LORA_RANK = 32
# How each case is timed, as `ModelBenchmarks.Repeats` in Swift: (warm-up runs, at most this many
# timed runs, budget in seconds). The number of timed runs is as many as fit in the budget judging by
# the first one (an odd count, at least one). Keeps `make bench` within minutes on two cores.
REPEATS = {
    "forward": (1, 3, 20),
    "generation": (1, 3, 30),
    "training_step": (1, 3, 30),
    "rollout": (1, 3, 25),
}
# Token ids drawn from [2, 32100): not pad (0) or EOS (1), and not t5-small's unused rows.
LOW_ID, HIGH_ID = 2, 32100


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def median(body, case, figures, name):
    """The median time of `body`, timed as REPEATS[case] says; records the run count under "runs: <name>"."""
    warmup, repeats, budget = REPEATS[case]
    for _ in range(warmup):
        body()
    times = []
    runs = 1
    while len(times) < runs:
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            runs = max(1, min(repeats, int(budget / max(times[0], 1e-9))))
            if runs % 2 == 0:
                runs -= 1
    figures[f"runs: {name}"] = len(times)
    return sorted(times)[len(times) // 2]


def t5_model(seed):
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(seed)
    # T5Config() leaves decoder_start_token_id unset; every T5 checkpoint (and Detox's default) has 0.
    return T5ForConditionalGeneration(T5Config(decoder_start_token_id=0))


def lora_config():
    from peft import LoraConfig

    return LoraConfig(r=LORA_RANK, lora_alpha=LORA_RANK, target_modules=["q", "v"], lora_dropout=0.0,
                      bias="none", task_type="SEQ_2_SEQ_LM")


def batch_inputs(generator, batch=BATCH):
    input_ids = torch.randint(LOW_ID, HIGH_ID, (batch, SOURCE), generator=generator)
    input_ids[:, -1] = 1  # EOS, as a tokenizer ends every source
    attention_mask = torch.ones_like(input_ids)
    labels = torch.randint(LOW_ID, HIGH_ID, (batch, TARGET), generator=generator)
    labels[:, -1] = 1
    return input_ids, attention_mask, labels


def sampling_kwargs():
    # Pure sampling, exactly NEW_TOKENS tokens per row (EOS suppressed until then).
    return dict(do_sample=True, top_k=0, top_p=1.0, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)


# MARK: - Models: forward and generation


def model_figures(figures):
    model = t5_model(seed=0).eval()
    generator = torch.Generator().manual_seed(1)
    input_ids, attention_mask, labels = batch_inputs(generator)
    with torch.no_grad():
        name = "t5-small forward 8x256→64 ms"
        seconds = median(lambda: model(input_ids=input_ids, attention_mask=attention_mask, labels=labels),
                         "forward", figures, name)
        figures[name] = seconds * 1e3
        torch.manual_seed(2)

        def generate():
            out = model.generate(input_ids=input_ids, attention_mask=attention_mask, **sampling_kwargs())
            assert out.shape == (BATCH, 1 + NEW_TOKENS), out.shape

        name = "t5-small sample 8x256 +64 tokens/s"
        seconds = median(generate, "generation", figures, name)
        figures[name] = BATCH * NEW_TOKENS / seconds
    log(f"models: done")


# MARK: - PEFT: LoRA and QLoRA training steps, NF4 footprint


def quantize_nf4(model, keep=lambda name: name == "lm_head" or name.endswith(".wo")):
    """Every linear layer except those `keep` names (by default lm_head and the feed-forward `wo`,
    which transformers keeps in f32 for T5) becomes a bitsandbytes NF4 `Linear4bit` with double
    quantization, f32 compute."""
    import bitsandbytes as bnb

    targets = [(name, module) for name, module in model.named_modules()
               if isinstance(module, torch.nn.Linear) and not keep(name)]
    for name, linear in targets:
        layer = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=linear.bias is not None,
                                  compute_dtype=torch.float32, compress_statistics=True, quant_type="nf4")
        layer.weight = bnb.nn.Params4bit(linear.weight.data.clone(), requires_grad=False,
                                         compress_statistics=True, quant_type="nf4")
        if linear.bias is not None:
            layer.bias = torch.nn.Parameter(linear.bias.data.clone(), requires_grad=False)
        layer = layer.to("cpu")  # quantizes the weight
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, layer)
    model.is_loaded_in_4bit = True  # PEFT then wraps the layers with its bitsandbytes LoRA layer
    return len(targets)


def nf4_footprint(model):
    """(4-bit weight bytes, their value count, f32 parameter values): the Swift
    `QuantizedFootprint` accounting — packed codes, one byte per 8-bit absmax code, four per
    nested absmax, four for the offset; everything else 4 bytes a value."""
    import bitsandbytes as bnb

    four_bit_bytes = four_bit_values = f32_values = 0
    seen = set()
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            state = module.weight.quant_state
            four_bit_values += state.shape.numel()
            four_bit_bytes += module.weight.numel() * module.weight.element_size()
            if state.nested:
                four_bit_bytes += state.absmax.numel() + 4 * state.state2.absmax.numel() + 4
            else:
                four_bit_bytes += 4 * state.absmax.numel()
            seen.add(id(module.weight))
    for parameter in model.parameters():
        if id(parameter) not in seen:
            f32_values += parameter.numel()
    return four_bit_bytes, four_bit_values, f32_values


def lora_step_figures(figures, notes):
    from peft import get_peft_model

    generator = torch.Generator().manual_seed(1)
    input_ids, attention_mask, labels = batch_inputs(generator)

    def training_step_seconds(model, name):
        model.train()
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss.backward()
            optimizer.step()

        return median(step, "training_step", figures, name)

    model = get_peft_model(t5_model(seed=0), lora_config())
    name = "lora r32 q,v train step 8x256→64 ms"
    figures[name] = training_step_seconds(model, name) * 1e3
    del model
    log("lora: f32 base done")

    try:
        base = t5_model(seed=0)
        total_values = sum(p.numel() for p in base.parameters())
        quantize_nf4(base)
        four_bit_bytes, four_bit_values, f32_values = nf4_footprint(base)
        figures["nf4 base resident bytes / f32"] = (four_bit_bytes + 4 * f32_values) / (4 * total_values)
        figures["nf4 quantized layers bytes / f32"] = four_bit_bytes / (4 * four_bit_values)
        model = get_peft_model(base, lora_config())
        name = "qlora nf4 r32 q,v train step 8x256→64 ms"
        figures[name] = training_step_seconds(model, name) * 1e3
        del model, base
        log("lora: nf4 base done")
    except Exception as error:  # bitsandbytes' CPU 4-bit path is optional
        message = f"bitsandbytes NF4 on CPU failed: {type(error).__name__}: {error}"
        log(message)
        for name in ("nf4 base resident bytes / f32", "nf4 quantized layers bytes / f32",
                     "qlora nf4 r32 q,v train step 8x256→64 ms"):
            figures.pop(name, None)
            notes[f"note: {name}"] = message


# MARK: - TRL: PPO step and rollout


def tiny_tokenizer():
    """A word-level tokenizer with T5's pad/EOS/unk ids, built offline (PPOTrainer requires one;
    `step` only uses its pad id)."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocabulary = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocabulary, unk_token="<unk>")),
                                   pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def ppo_trainer():
    """TRL's PPOTrainer on the t5-small-sized policy with an r=32 LoRA, and one `step` on the
    benchmark's batch (random queries and responses, fixed seeds); returns (model, queries, step)."""
    from trl import AutoModelForSeq2SeqLMWithValueHead, PPOConfig, PPOTrainer

    model = AutoModelForSeq2SeqLMWithValueHead.from_pretrained(t5_model(seed=0), peft_config=lora_config())
    config = PPOConfig(batch_size=PPO_BATCH, mini_batch_size=PPO_MINI_BATCH, ppo_epochs=PPO_EPOCHS, seed=0)
    trainer = PPOTrainer(config, model, ref_model=None, tokenizer=tiny_tokenizer())

    generator = torch.Generator().manual_seed(3)
    queries = torch.randint(LOW_ID, HIGH_ID, (PPO_BATCH, SOURCE), generator=generator)
    queries[:, -1] = 1
    responses = torch.randint(LOW_ID, HIGH_ID, (PPO_BATCH, 1 + NEW_TOKENS), generator=generator)
    responses[:, 0] = 0   # decoder start, as generate returns it
    responses[:, -1] = 1  # EOS
    scores = torch.randn(PPO_BATCH, generator=generator)
    query_list, response_list, score_list = list(queries), list(responses), list(scores)
    return model, queries, lambda: trainer.step(query_list, response_list, score_list)


# The decoder-only step of TRL's toxicity example on a gpt-neo-125M-shaped policy, as
# Sources/DetoxBench/CausalPPOBenchmark.swift: row i has 30 + 3i mod 10 query and 20 + 7i mod 10
# response tokens.
CAUSAL_VOCAB, CAUSAL_EOS = 50257, 50256


def causal_ppo_trainer(kind):
    """TRL's PPOTrainer on a random gpt-neo-125M-shaped policy with a value head: `full` trains the
    whole model against `create_reference_model(model)` (no shared layer), `lora` an r=16 adapter on
    q_proj, v_proj against the adapter disabled. Returns the trainer and the benchmark's batch."""
    from peft import LoraConfig
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import GPTNeoConfig, GPTNeoForCausalLM, PreTrainedTokenizerFast
    from trl import AutoModelForCausalLMWithValueHead, PPOConfig, PPOTrainer, create_reference_model

    torch.manual_seed(0)
    config = GPTNeoConfig(vocab_size=CAUSAL_VOCAB, hidden_size=768, num_layers=12, num_heads=12,
                          max_position_embeddings=2048, window_size=256,
                          attention_types=[[["global", "local"], 6]], bos_token_id=CAUSAL_EOS,
                          eos_token_id=CAUSAL_EOS)
    base = GPTNeoForCausalLM(config)
    if kind == "lora":
        peft_config = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
        model = AutoModelForCausalLMWithValueHead.from_pretrained(base, peft_config=peft_config)
        reference = None
    else:
        model = AutoModelForCausalLMWithValueHead.from_pretrained(base)
        reference = create_reference_model(model)
    # A dense word-level vocabulary (one with holes makes tokenizers print a warning on stdout, which
    # carries the step server's replies); `step` only uses the pad id, EOS as GPT-Neo's tokenizer has it.
    vocabulary = {f"t{i}": i for i in range(CAUSAL_EOS)} | {"<|endoftext|>": CAUSAL_EOS}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(WordLevel(vocabulary, unk_token="<|endoftext|>")),
        eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    ppo_config = PPOConfig(batch_size=PPO_BATCH, mini_batch_size=PPO_MINI_BATCH, ppo_epochs=PPO_EPOCHS, seed=0)
    trainer = PPOTrainer(ppo_config, model, ref_model=reference, tokenizer=tokenizer)
    generator = torch.Generator().manual_seed(4)
    queries = [torch.randint(0, CAUSAL_EOS, (30 + (3 * i) % 10,), generator=generator) for i in range(PPO_BATCH)]
    responses = [torch.randint(0, CAUSAL_EOS, (20 + (7 * i) % 10,), generator=generator) for i in range(PPO_BATCH)]
    scores = list(torch.randn(PPO_BATCH, generator=generator))
    return trainer, queries, responses, scores


# The rollout of TRL's toxicity example: `max_new_tokens` of each generation batch of 4 drawn from
# LengthSampler(20, 30), here fixed (20 + 7c mod 10 for batch c, as CausalRolloutBenchmark.swift).
ROLLOUT_GENERATION_BATCH = 4
ROLLOUT_NEW_TOKENS = [20 + (7 * c) % 10 for c in range(PPO_BATCH // ROLLOUT_GENERATION_BATCH)]


def causal_rollout():
    """The full policy's `PPOTrainer.generate(query_tensors, return_prompt=False, length_sampler=…,
    **generation_kwargs)` with the toxicity example's generation_kwargs (pure sampling, pad = EOS), in
    TRL's default generation batches of 4 (left-padded); returns the rollout."""
    trainer, queries, _, _ = causal_ppo_trainer("full")
    generation_kwargs = {"min_length": -1, "top_k": 0.0, "top_p": 1.0, "do_sample": True,
                         "pad_token_id": CAUSAL_EOS}
    torch.manual_seed(5)

    def rollout():
        lengths = iter(ROLLOUT_NEW_TOKENS)
        trainer.generate(queries, return_prompt=False, length_sampler=lambda: next(lengths),
                         batch_size=ROLLOUT_GENERATION_BATCH, **generation_kwargs)

    return rollout


def serve_ppo_steps(out, kind=None):
    """Times one PPO step per "step" line read from stdin and writes its seconds to `out`, after a
    "ready" line once the trainer is built (the T5 one, or `causal-full` / `causal-lora`; with
    `causal-rollout` each "step" is the toxicity example's rollout instead), and
    `peak <bytes>` (the process's peak resident set) when its input ends. The Swift benchmark drives
    this to interleave the two sides' steps, so that a shared machine's drift in speed touches both
    alike."""
    import resource

    if kind == "causal-rollout":
        step = causal_rollout()
    elif kind:
        trainer, queries, responses, scores = causal_ppo_trainer(kind.removeprefix("causal-"))

        def step():
            trainer.step(queries, responses, scores)
    else:
        step = ppo_trainer()[2]
    print("ready", file=out, flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        start = time.perf_counter()
        step()
        print(time.perf_counter() - start, file=out, flush=True)
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}", file=out, flush=True)


def ppo_figures(figures):
    """The rollout beside `model.generate`. The PPO step is timed interleaved with Detox's own
    steps (`serve_ppo_steps`, driven by `detox-bench --python`), not here."""
    model, queries, _ = ppo_trainer()
    torch.manual_seed(4)
    attention_mask = torch.ones_like(queries)

    def rollout():
        with torch.no_grad():
            out = model.generate(input_ids=queries, attention_mask=attention_mask, **sampling_kwargs())
        assert out.shape == (PPO_BATCH, 1 + NEW_TOKENS), out.shape

    name = "ppo rollout sample 16x256 +64 tokens/s"
    figures[name] = PPO_BATCH * NEW_TOKENS / median(rollout, "rollout", figures, name)
    log("ppo: rollout done")


def run(figures, sections):
    notes = {}
    if "models" in sections:
        model_figures(figures)
    if "lora" in sections:
        lora_step_figures(figures, notes)
    if "ppo" in sections:
        ppo_figures(figures)
    figures.update(notes)


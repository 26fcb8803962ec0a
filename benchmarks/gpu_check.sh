#!/usr/bin/env bash
# One run of everything that has never run on a GPU, for the day a GPU machine is lent
# (H200, 16 cores, no network; the working tree is copied there). From the repository root:
#
#     bash benchmarks/gpu_check.sh                          # on CUDA, about 5-8 minutes
#     GPU_CHECK_DEVICE=cpu bash benchmarks/gpu_check.sh     # the same steps, tiny, on CPU
#
# Steps (each timed): environment, tiny bf16 training on the device, sampling through the
# SSSD backend (kernel spectra built, then read from the disk cache, against uncached
# sampling), NCCL DistributedDataParallel training when there are two or more GPUs (skipped
# with a message on one), S4 kernel-mode detection (what detect_kernel_mode computes) on the
# device against the CPU, the privacy screen and the realism classifier on the device,
# benchmarks/checkpoint_load.py, and last benchmarks/sampling.py. Every step runs even when one
# fails; the script exits 1 if any failed. The log goes to $OUT/gpu_check.log when $OUT is
# set (the device machine's result folder), else to var/gpu_check.log.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE="${GPU_CHECK_DEVICE:-cuda}"
LOG_DIR="${OUT:-var}"
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/gpu_check.log"
exec > >(tee "$LOG") 2>&1
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export GPU_CHECK_DEVICE="$DEVICE" GPU_CHECK_WORK="$WORK" PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "$DEVICE" = cpu ]; then
    SAMPLING_ARGS=(--device cpu --batch-sizes 1 --steps 1)
else
    SAMPLING_ARGS=(--device "$DEVICE")
fi

failed=()
started_all=$SECONDS
step() {  # step NAME COMMAND...: run, time, record a failure and go on
    local name="$1"
    shift
    local started=$SECONDS status=0
    echo "=== $name"
    "$@" || status=$?
    if [ "$status" -eq 0 ]; then
        echo "=== $name: ok in $((SECONDS - started)) s"
    else
        echo "=== $name: FAILED (exit $status) after $((SECONDS - started)) s"
        failed+=("$name")
    fi
}

environment() {
    # The steps use the pure generator code and tests/generator/checkpoints.py alone (no
    # Django, database or broker), so a GPU image holding torch, numpy, scipy and tqdm
    # needs nothing installed.
    if ! python3 -c "import numpy, scipy, torch, tqdm" 2>/dev/null; then
        echo "packages missing: running scripts/install.sh (it needs apt and PyPI;"
        echo "on a machine without network it fails here, and the steps below fail too)"
        bash scripts/install.sh
    fi
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
        --format=csv,noheader || echo "no nvidia-smi"
    python3 - <<'EOF'
import os
import torch
device = os.environ["GPU_CHECK_DEVICE"]
print(f"torch {torch.__version__}, CUDA build {torch.version.cuda}, "
      f"{torch.cuda.device_count()} GPU(s), {os.cpu_count()} CPU cores")
if device.startswith("cuda"):
    if not torch.cuda.is_available():
        raise SystemExit("CUDA is not available to torch (a CPU-only torch build?)")
    print(torch.cuda.get_device_name(0), "bf16 supported:", torch.cuda.is_bf16_supported())
EOF
}

training() {
    python3 - <<'EOF'
import os
from pathlib import Path
import numpy as np
import torch
from generator.core.checkpoint import load_checkpoint
from generator.core.config import GeneratorConfig
from generator.core.labels import encode_label_sets
from generator.core.training import EcgDataset, TrainingOptions, train

device, work = os.environ["GPU_CHECK_DEVICE"], Path(os.environ["GPU_CHECK_WORK"])
rng = np.random.default_rng(0)
t = np.arange(1000) / 100
signals = np.sin(2 * np.pi * rng.uniform(1, 3, (64, 12, 1)) * t).astype(np.float32)
config = GeneratorConfig.tiny()
labels = encode_label_sets([["NORM", "SR"]] * 64, config.model.label_vocabulary)
data = EcgDataset(signals, labels)
steps = 20 if device == "cpu" else 200
options = TrainingOptions(steps=steps, batch_size=16, lr=2e-3, device=device,
                          mixed_precision=True, out_dir=work / "run", log_every=steps // 4,
                          ema=0.99)
result = train(data, config=config, options=options, validation_set=data)
first, last = np.mean(result.losses[:5]), np.mean(result.losses[-5:])
print(f"bf16 autocast on {device}: loss {first:.4f} -> {last:.4f}, "
      f"validation {result.validation_losses}")
assert np.isfinite(result.losses).all(), "non-finite training loss"
if device != "cpu":
    assert last < first, "the loss did not fall"
loaded = load_checkpoint(result.checkpoints[-1], device)
assert next(loaded.model.parameters()).device.type == torch.device(device).type
(work / "checkpoint").write_text(str(result.checkpoints[-1]))
EOF
}

sampling() {
    python3 - <<'EOF'
import os
import time
from pathlib import Path
import numpy as np
from generator.backends.sssd_nle import SssdNleBackend

device, work = os.environ["GPU_CHECK_DEVICE"], Path(os.environ["GPU_CHECK_WORK"])
checkpoint = Path((work / "checkpoint").read_text())
labels = [["NORM", "SR"], ["IMI"], ["AFIB"], ["CLBBB"]]
options = {"sampler": "ddim", "steps": 10, "batch_size": 4, "device": device}
runs = {}
for name, extra in (("built", {}), ("disk", {}), ("uncached", {"cache_kernels": False}),
                    ("ema", {"ema": True})):
    backend = SssdNleBackend(checkpoint, kernel_cache_dir=work / "kernel-cache", **extra,
                             **options)
    started = time.perf_counter()
    runs[name] = backend.generate(labels, seed=1)
    source = backend.kernel_spectra().source if backend.settings.cache_kernels else "-"
    print(f"{name:>8}: {len(labels)} ECGs in {time.perf_counter() - started:.2f} s "
          f"(kernels: {source}), max |x| {np.abs(runs[name]).max():.3f} mV")
for signals in runs.values():
    assert signals.shape == (4, 12, 1000) and np.isfinite(signals).all()
assert np.abs(runs["built"] - runs["disk"]).max() <= 1e-6
print("cached vs uncached max difference", float(np.abs(runs["built"] - runs["uncached"]).max()))
assert np.abs(runs["built"] - runs["uncached"]).max() <= 1e-4
EOF
}

distributed() {
    local gpus
    gpus=$(python3 -c "import torch; print(torch.cuda.device_count())")
    if [ "$DEVICE" = cpu ] || [ "$gpus" -lt 2 ]; then
        echo "skipped: NCCL DistributedDataParallel needs two or more GPUs ($gpus here);"
        echo "the gloo path is tests/generator/test_core_distributed.py"
        return 0
    fi
    cat >"$WORK/ddp.py" <<'EOF'
import os
from pathlib import Path
import numpy as np
from generator.core.config import GeneratorConfig
from generator.core.labels import encode_label_sets
from generator.core.training import EcgDataset, TrainingOptions, train
rng = np.random.default_rng(0)
signals = np.sin(np.arange(1000)[None, None] / rng.uniform(5, 20, (32, 12, 1))).astype("float32")
config = GeneratorConfig.tiny()
labels = encode_label_sets([["NORM"]] * 32, config.model.label_vocabulary)
result = train(EcgDataset(signals, labels), config=config, options=TrainingOptions(
    steps=20, batch_size=8, device="cuda", out_dir=Path(os.environ["GPU_CHECK_WORK"]) / "ddp"))
print(f"rank {result.world.rank}/{result.world.size}: loss {result.losses[-1]:.4f}")
EOF
    torchrun --standalone --nproc_per_node=2 "$WORK/ddp.py"
}

kernel_mode() {
    # What `manage.py detect_kernel_mode --device cuda` computes, without its Django wrapper:
    # a tiny model trained briefly in each S4 kernel mode is named by its held-out error,
    # and the errors on the device match the CPU's.
    python3 - <<'EOF'
import os
from pathlib import Path
import numpy as np
from generator.core.kernel_mode import kernel_mode_errors, kernel_mode_verdict
from tests.generator.checkpoints import synthetic_ecgs, trained_checkpoint

device, work = os.environ["GPU_CHECK_DEVICE"], Path(os.environ["GPU_CHECK_WORK"])
unlabelled, held_out = [[]] * 8, synthetic_ecgs(8, 64, 1)
for mode in ("exact", "release_fallback"):
    checkpoint = trained_checkpoint(
        work / f"kernel-mode-{mode}.pt", mode, synthetic_ecgs(8, 64, 0), device=device
    )
    errors = kernel_mode_errors(checkpoint, held_out, unlabelled, device=device)
    on_cpu = kernel_mode_errors(checkpoint, held_out, unlabelled, device="cpu")
    verdict = kernel_mode_verdict(errors)
    gap = max(float(np.abs(errors[m] - on_cpu[m]).max()) for m in errors)
    print(f"trained in {mode} on {device}: means {verdict.means}, named {verdict.mode}, "
          f"largest {device}-CPU difference per ECG {gap:.2e}")
    assert verdict.mode == mode, f"named {verdict.mode}, trained with {mode}"
    for m in errors:
        np.testing.assert_allclose(errors[m], on_cpu[m], rtol=1e-3, atol=1e-6)
EOF
}

privacy_and_realism() {
    python3 - <<'EOF'
import os
import numpy as np
import torch
from generator.core.privacy_screen import screen_pool
from generator.core.realism import Dataset, FitSettings, evaluate_realism

device = os.environ["GPU_CHECK_DEVICE"]
rng = np.random.default_rng(0)
def ecgs(n):
    t = np.arange(1000) / 100
    return np.sin(2 * np.pi * rng.uniform(1, 3, (n, 12, 1)) * t).astype(np.float32)
result = screen_pool(ecgs(40), ecgs(300), ecgs(100), 100.0, device=torch.device(device))
print("privacy screen on", device, type(result).__name__)
classes = 5
def data(name, n):
    labels = np.zeros((n, classes), np.float32)
    labels[np.arange(n), np.arange(n) % classes] = 1
    return Dataset(name, ecgs(n), labels)
realism = evaluate_realism(data("synthetic", 40), data("train", 40), data("test", 40),
                           settings=FitSettings(epochs=1, device=device))
print("realism on", device, type(realism).__name__)
EOF
}

step "environment" environment
step "tiny bf16 training on $DEVICE" training
step "sampling on $DEVICE (kernel cache built, read, uncached, EMA)" sampling
step "NCCL DistributedDataParallel" distributed
step "S4 kernel mode named on $DEVICE" kernel_mode
step "privacy screen and realism on $DEVICE" privacy_and_realism
step "benchmarks/checkpoint_load.py" python3 benchmarks/checkpoint_load.py --repeats 1 --no-baseline
# Last: the longest step (a fresh process and a compile per batch size), so that a run
# stopped at its time limit has done every other check.
step "benchmarks.sampling ${SAMPLING_ARGS[*]}" python3 -m benchmarks.sampling "${SAMPLING_ARGS[@]}"

echo "=== total $((SECONDS - started_all)) s; log in $LOG"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "all steps passed"

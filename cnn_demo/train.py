"""Command line: train the registry's architectures and ship their weights and metrics.

    python -m cnn_demo.train --arch pooled --epochs 10
    python -m cnn_demo.train --arch all          # the tutorial's table
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from cnn_demo.architectures import ARCHITECTURES, get_architecture
from cnn_demo.data import load_mnist
from cnn_demo.pretrained import PRETRAINED_DIR, model_path
from cnn_demo.training import (
    DEFAULT_PRECISION, TrainingConfig, as_float32, build_for_training, evaluate, save_model_atomically, train,
    write_json_atomically,
)


def train_and_ship(name: str, config: TrainingConfig, out_dir: Path = PRETRAINED_DIR) -> dict:
    """Train one architecture, evaluate on all 10,000 test images, save model and metrics row."""
    import keras
    import tensorflow as tf

    arch = get_architecture(name)
    model = build_for_training(name, config)
    result = train(model, load_mnist(), config, verbose=1)
    shipped = as_float32(model)  # what the file holds, so what the metrics describe
    test_loss, test_accuracy = evaluate(shipped, load_mnist().test)
    save_model_atomically(shipped, model_path(name, out_dir))
    row = {
        "label": arch.label,
        "test_accuracy": round(test_accuracy, 6),
        "test_loss": round(test_loss, 6),
        "seconds_per_epoch": round(result.seconds_per_epoch, 2),
        "epochs": result.epochs_completed,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "train_size": config.train_size,
        "precision": config.precision,
        "augmented": config.augment,
        "cosine_decay": config.decay,
        "params": model.count_params(),
        "date": datetime.date.today().isoformat(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    metrics_path = out_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    metrics[name] = row
    write_json_atomically(metrics, metrics_path)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="all", choices=[*ARCHITECTURES, "all"])
    parser.add_argument("--epochs", type=int, help="default: the architecture's own (10 for the article's)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--train-size", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default=DEFAULT_PRECISION,
                        help="compute precision while training (default: bfloat16 where the CPU has it)")
    parser.add_argument("--out-dir", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args(argv)
    names = list(ARCHITECTURES) if args.arch == "all" else [args.arch]
    for name in names:
        arch = ARCHITECTURES[name]
        config = TrainingConfig(args.epochs or arch.epochs, args.batch_size, args.learning_rate,
                                args.train_size, seed=args.seed, precision=args.precision,
                                augment=arch.augment, decay=arch.decay)
        print(f"== {name}" + (" (with augmentation)" if arch.augment else ""))
        row = train_and_ship(name, config, args.out_dir)
        print(f"{name}: test accuracy {row['test_accuracy']:.4f}, "
              f"{row['seconds_per_epoch']:.1f} s/epoch, {row['params']:,} params")


if __name__ == "__main__":
    main()

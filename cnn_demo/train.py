"""Command line: train the registry's architectures, the digit detector and the letter reader;
ship weights and metrics.

    python -m cnn_demo.train --arch pooled              # the drawings recipe (see cnn_demo.training_data)
    python -m cnn_demo.train --arch all --recipe mnist  # the tutorial's: MNIST alone
    python -m cnn_demo.train --detector --letters --arch all
                                                        # what is shipped: the detector, the letter
                                                        # reader, then every model
    python -m cnn_demo.train --arch residual --resume --epochs 3 --learning-rate 1e-4
                                                        # further, from the shipped weights
    python -m cnn_demo.train --detector --resume --epochs 2 --learning-rate 1e-4
                                                        # the shipped detector taught two-digit
                                                        # numbers (how it was shipped, 2026-12-07)
    python -m cnn_demo.train --arch residual --teachers mnist_only.keras drawings.keras
                                                        # distilled: see cnn_demo.distillation
    python -m cnn_demo.train --arch residual --backup-dir backup
                                                        # after an interruption, the same command
                                                        # goes on from the last whole epoch
    python -m cnn_demo.train --arch all --derived-only  # no training: rewrite what the page reads beside
                                                        # the weights (channels, spaces, scorecards)
"""

from __future__ import annotations

import argparse
import datetime
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnn_demo.architectures import ARCHITECTURES, get_architecture
from cnn_demo.data import Split, load_mnist
from cnn_demo.embedding import DigitSpace, save_space
from cnn_demo.feature_vis import save_channel_images
from cnn_demo.fitting import (
    DEFAULT_PRECISION,
    FLOAT32,
    PRECISIONS,
    TrainingConfig,
    TrainingData,
    as_float32,
    build_for_training,
    compile_model,
    evaluate,
    train,
    with_dtype_policy,
)
from cnn_demo.inference import Predictor, save_scorecard, scorecard
from cnn_demo.paths import PRETRAINED_DIR
from cnn_demo.pretrained import model_path, save_model_atomically, write_json_atomically

if TYPE_CHECKING:
    import keras

MNIST_RECIPE = "MNIST's 60,000 training images"
RECIPES = ("drawings", "mnist")


def recipe_data(recipe: str, seed: int, non_digits: bool = False) -> tuple[TrainingData, str]:
    """The training images of a recipe, and the recipe in words."""
    mnist = load_mnist()
    if recipe == "mnist":
        return TrainingData(mnist.train), MNIST_RECIPE
    from cnn_demo import training_data

    parts = [mnist.train, training_data.pen_digits(seed)]
    description = training_data.DRAWINGS_RECIPE
    if non_digits:
        parts.append(training_data.non_digits(seed + 1))
        description += ("; and, as an eleventh class \"not a digit\", the same writers' capital letters "
                        f"({training_data.LETTER_COPIES} times each) and "
                        f"{training_data.SYMBOL_DRAWINGS:,} drawn symbols")
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return TrainingData(Split(x, y)), description


def _run_row(model, config: TrainingConfig, data: TrainingData, result, description: str) -> dict:
    """What a metrics row says of any training run: its settings, data, speed and versions."""
    import keras
    import tensorflow as tf

    return {
        "seconds_per_epoch": round(result.seconds_per_epoch, 2),
        "epochs": result.epochs_completed,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "train_size": len(data.train.x),
        "recipe_description": description,
        "precision": config.precision,
        "augmented": config.augment,
        "cosine_decay": config.decay,
        "params": model.count_params(),
        "date": datetime.date.today().isoformat(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def _row(model, config: TrainingConfig, data: TrainingData, result, recipe: str, description: str) -> dict:
    """The metrics row of a digit model: its MNIST test figures, its recipe and the run's."""
    # a float32 copy, what the file holds, so what the metrics describe; compiled afresh for MNIST's
    # integer labels whatever the training's targets were (a copy keeps the model's compiled loss)
    shipped = compile_model(with_dtype_policy(model, FLOAT32))
    test_loss, test_accuracy = evaluate(shipped, load_mnist().test)
    return {"test_accuracy": round(test_accuracy, 6), "test_loss": round(test_loss, 6), "recipe": recipe,
            **_run_row(model, config, data, result, description)}


def _resumed(row: dict, before: dict, result, config: TrainingConfig, how: str = "") -> dict:
    """A resumed training's metrics row: its epochs added to the earlier ones, its recipe after theirs."""
    more = result.epochs_completed
    return {**row, "epochs": row["epochs"] + before["epochs"],
            "recipe_description": (f"{before['recipe_description']}; then {more} more "
                                   f"epoch{'s' if more != 1 else ''} at learning rate {config.learning_rate:g}{how}")}


def train_and_ship(name: str, config: TrainingConfig, recipe: str = "drawings",
                   out_dir: Path = PRETRAINED_DIR, resume: bool = False,
                   backup_dir: Path | None = None, teachers: tuple[str | Path, str | Path] | None = None) -> dict:
    """Train one architecture, evaluate on all 10,000 test images, save model and metrics row.

    With `resume`, training goes on from the shipped weights, and the row says so. With
    `backup_dir`, an interrupted training goes on from its last whole epoch (see `train`).
    With `teachers` (the .keras file for MNIST's images, the one for the pen drawings; either
    may be several files joined by commas, whose answers are averaged), the model is distilled
    from them (see `cnn_demo.distillation`)."""
    data, description = recipe_data(recipe, config.seed or 0)
    metrics_path = out_dir / "metrics.json"
    model = build_for_training(name, config)
    if resume:
        from cnn_demo.pretrained import load_model

        model.set_weights(load_model(name, out_dir).get_weights())
    if teachers:
        import keras

        from cnn_demo.distillation import LABEL_WEIGHT, TEMPERATURE, Distiller, averaged, coded_labels

        sides = [str(side).split(",") for side in teachers]
        # recipe_data puts MNIST's training images first
        data = TrainingData(Split(data.train.x, coded_labels(data.train.y, len(load_mnist().train.y))))
        distiller = Distiller(model, [averaged([with_dtype_policy(keras.models.load_model(f), config.precision)
                                                for f in side]) for side in sides])
        result = train(distiller, data, config, verbose=2, backup_dir=backup_dir)
        mnist_teacher, drawings_teacher = (side[0] if len(side) == 1 else f"the average of {' and '.join(side)}"
                                           for side in sides)
        description += (f"; distilled (temperature {TEMPERATURE:g}, {LABEL_WEIGHT:.0%} of the loss on the labels) "
                        f"from {mnist_teacher} on MNIST's images and {drawings_teacher} on the pen drawings")
    else:
        result = train(model, data, config, verbose=2, backup_dir=backup_dir)
    row = {"label": get_architecture(name).label, **_row(model, config, data, result, recipe, description)}
    if teachers:
        row["teachers"] = [str(t) for t in teachers]
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}  # as it is now
    if resume:
        row = _resumed(row, metrics[name], result, config)
    save_model_atomically(model, model_path(name, out_dir))
    ship_derived(name, as_float32(model), out_dir)
    metrics[name] = row
    write_json_atomically(metrics, metrics_path)
    return row


def ship_derived(name: str, model: keras.Model, out_dir: Path = PRETRAINED_DIR) -> None:
    """What the page shows of a shipped model that takes a while to compute, written beside its
    weights so that no visitor waits for it: what each channel looks for, where drawings sit
    among the digits, its test-set scorecard."""
    mnist = load_mnist()
    save_channel_images(model, name, mnist, out_dir)
    save_space(DigitSpace.build(model, mnist), model, mnist, name, out_dir)
    save_scorecard(scorecard(Predictor(model), mnist.test.x, mnist.test.y), model, mnist, name, out_dir)


def train_detector(config: TrainingConfig, out_dir: Path = PRETRAINED_DIR, backup_dir: Path | None = None,
                   resume: bool = False) -> dict:
    """Train the digit detector (eleven classes) on the drawings recipe plus non-digits.

    With `resume`, the shipped detector goes on, taught its own answers on those images and "not
    a digit" on the training writers' two-digit numbers (self-distillation), without augmentation,
    so that it learns the numbers and keeps the rest. Trained from scratch, it sees no numbers:
    the shipped one was trained so, then taught them for 2 epochs at 1e-4 (2026-12-07), after
    which it let Residual's page claim a digit for 12 instead of 134 of the held-out writers'
    1,140 numbers, and at the verdict's threshold 0.8 for fewer letters (850 against 907 of
    9,078) and as many wrong digits (19 against 20 of 4,926). Taught the recipe's labels instead,
    or only in its last layer, it claimed more letters (937 and 929) and, on the labels, more
    wrong digits (27); docs/handwriting_trials.md."""
    from cnn_demo import training_data
    from cnn_demo.detector import DETECTOR_ARCHITECTURE, DETECTOR_CLASSES, DETECTOR_FILE

    seed = config.seed or 0
    data, description = recipe_data("drawings", seed, non_digits=True)
    model = build_for_training(DETECTOR_ARCHITECTURE, config, classes=DETECTOR_CLASSES)
    if resume:
        import keras

        shipped = keras.models.load_model(out_dir / DETECTOR_FILE)
        model.set_weights(shipped.get_weights())
        numbers, numbers_label = training_data.numbers(seed + 1)
        x = np.concatenate([data.train.x, numbers])
        targets = np.concatenate([shipped.predict(data.train.x, batch_size=512, verbose=0),
                                  np.eye(DETECTOR_CLASSES)[numbers_label]]).astype(np.float32)
        data, config = TrainingData(Split(x, targets)), replace(config, augment=False)
    result = train(model, data, config, verbose=2, backup_dir=backup_dir)
    row = {"architecture": DETECTOR_ARCHITECTURE, **_row(model, config, data, result, "drawings", description)}
    if resume:
        row = _resumed(row, json.loads((out_dir / "detector.json").read_text()), result, config,
                       f", without augmentation, taught its own answers on {description}, and \"not a digit\" "
                       f"on two-digit numbers of the same writers' digits ({training_data.NUMBER_COPIES} times each)")
    save_model_atomically(model, out_dir / DETECTOR_FILE)
    write_json_atomically(row, out_dir / "detector.json")
    return row


def train_letter_reader(config: TrainingConfig, out_dir: Path = PRETRAINED_DIR,
                        backup_dir: Path | None = None) -> dict:
    """Train the letter reader (`cnn_demo.detector`) on the detector's non-digits, each labelled
    with its letter (or as a symbol). Its figures on writers it never saw: `cnn_demo.evaluate`."""
    from cnn_demo import training_data
    from cnn_demo.detector import DETECTOR_ARCHITECTURE, LETTER_CLASSES, LETTERS_FILE

    data = TrainingData(Split(*training_data.letters_and_symbols(config.seed or 0)))
    model = build_for_training(DETECTOR_ARCHITECTURE, config, classes=len(LETTER_CLASSES))
    result = train(model, data, config, verbose=2, backup_dir=backup_dir)
    description = (f"the training writers' capital letters ({training_data.LETTER_COPIES} times each) and "
                   f"{training_data.SYMBOL_DRAWINGS:,} drawn symbols, as the canvas draws them")
    row = {"architecture": DETECTOR_ARCHITECTURE, "classes": list(LETTER_CLASSES),
           **_run_row(model, config, data, result, description)}
    save_model_atomically(model, out_dir / LETTERS_FILE)
    write_json_atomically(row, out_dir / "letters.json")
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="*", default=[], choices=[*ARCHITECTURES, "all"],
                        help="architectures to train, or all")
    parser.add_argument("--detector", action="store_true", help="train the digit detector (first)")
    parser.add_argument("--letters", action="store_true", help="train the letter reader (after the detector)")
    parser.add_argument("--recipe", choices=RECIPES, default="drawings",
                        help="drawings: MNIST plus pen-drawn digits (default); mnist: MNIST alone")
    parser.add_argument("--epochs", type=int, help="default: the architecture's own (10 for the article's)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION,
                        help="compute precision while training (default: bfloat16 where the CPU has it)")
    parser.add_argument("--out-dir", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--resume", action="store_true",
                        help="go on from the shipped weights (with --epochs and a smaller --learning-rate)")
    parser.add_argument("--backup-dir", type=Path,
                        help="save each training's state there after every epoch; the same command "
                             "run again after an interruption goes on from the last whole epoch")
    parser.add_argument("--teachers", nargs=2, metavar=("MNIST_TEACHER", "DRAWINGS_TEACHER"),
                        help="distil from two .keras models: the first answers for MNIST's images, the second "
                             "for the pen drawings; either may be several files joined by commas, whose answers "
                             "are averaged (drawings recipe only; see cnn_demo.distillation)")
    parser.add_argument("--derived-only", action="store_true",
                        help="no training: rewrite what is shipped beside the weights (channels, spaces, scorecards)")
    args = parser.parse_args(argv)

    def config_for(arch) -> TrainingConfig:
        return TrainingConfig(epochs=args.epochs or arch.epochs, batch_size=args.batch_size,
                              learning_rate=args.learning_rate, seed=args.seed, precision=args.precision,
                              augment=arch.augment, decay=arch.decay)

    def backup_for(name: str) -> Path | None:
        return args.backup_dir / name if args.backup_dir else None

    if not (args.detector or args.letters or args.arch):
        parser.error("name at least one --arch (or all), or --detector, or --letters")
    if args.teachers and args.recipe != "drawings":
        parser.error("--teachers distils on the drawings recipe: MNIST's images and the pen drawings")
    names = list(ARCHITECTURES) if "all" in args.arch else list(dict.fromkeys(args.arch))
    if args.derived_only:
        from cnn_demo.pretrained import load_model

        for name in names:
            ship_derived(name, load_model(name, args.out_dir), args.out_dir)
            print(f"{name}: channels, space and scorecard written to {args.out_dir}")
        return
    if args.detector:
        from cnn_demo.detector import DETECTOR_ARCHITECTURE

        print("== digit detector, drawings recipe with non-digits")
        row = train_detector(config_for(ARCHITECTURES[DETECTOR_ARCHITECTURE]), args.out_dir,
                             backup_for("detector"), args.resume)
        print(f"detector: MNIST test accuracy {row['test_accuracy']:.4f}, {row['seconds_per_epoch']:.1f} s/epoch")
    if args.letters:
        from cnn_demo.detector import DETECTOR_ARCHITECTURE

        print("== letter reader, the training writers' capital letters and drawn symbols")
        row = train_letter_reader(config_for(ARCHITECTURES[DETECTOR_ARCHITECTURE]), args.out_dir,
                                  backup_for("letters"))
        print(f"letter reader: {row['train_size']:,} drawings, {row['seconds_per_epoch']:.1f} s/epoch")
    for name in names:
        arch = ARCHITECTURES[name]
        print(f"== {name}, {args.recipe} recipe" + (", with augmentation" if arch.augment else ""))
        row = train_and_ship(name, config_for(arch), args.recipe, args.out_dir, args.resume, backup_for(name),
                             args.teachers)
        print(f"{name}: test accuracy {row['test_accuracy']:.4f}, "
              f"{row['seconds_per_epoch']:.1f} s/epoch, {row['params']:,} params")


if __name__ == "__main__":
    main()

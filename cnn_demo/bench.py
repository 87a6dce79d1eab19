"""Benchmarks: each of the project's paths beside the obvious alternative, in one run.

    python -m cnn_demo.bench                                  # every architecture
    python -m cnn_demo.bench --arch baseline conv pooled      # the article's three: ~11 min here
    python -m cnn_demo.bench --quick                          # a short version, for the tests

Prints one table and writes it as JSON (bench/results/bench.json by default). Speeds are
compared as ratios measured in the same run, alternating the two sides, because single
timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.browser import ROOT

RESULTS = ROOT / "bench" / "results" / "bench.json"
FLOOR_APP = ROOT / "bench" / "floor_app.py"
ARTICLE_BATCH_SIZE = 128


@dataclass(frozen=True)
class Settings:
    drawings: int  # inference: drawings per architecture
    epochs: int  # training: epochs per run
    train_size: int
    rounds: int  # training: alternating pairs of runs per architecture
    validation_size: int  # test images evaluated after each epoch, on both paths
    e2e_samples: int  # end to end: digits drawn on each page


FULL = Settings(drawings=300, epochs=3, train_size=60_000, rounds=2, validation_size=10_000, e2e_samples=20)
QUICK = Settings(drawings=20, epochs=1, train_size=1_000, rounds=1, validation_size=1_000, e2e_samples=3)


def p50_p95(samples_ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples_ms, 50)), float(np.percentile(samples_ms, 95))


def canvas_drawings(n: int) -> list[np.ndarray]:
    """MNIST test digits upscaled to the 280x280 RGBA the canvas returns."""
    from PIL import Image

    from cnn_demo.data import load_mnist
    from cnn_demo.visuals import to_grey

    return [np.asarray(Image.fromarray(to_grey(x)).resize((280, 280), Image.Resampling.BILINEAR).convert("RGBA"))
            for x in load_mnist().test.x[:n]]


def bench_inference(names: list[str], drawings: list[np.ndarray]) -> list[dict]:
    """Preprocessing + one forward pass with every activation, beside model.predict alone."""
    from cnn_demo.inference import Predictor
    from cnn_demo.preprocess import preprocess
    from cnn_demo.pretrained import load_model

    rows = []
    for name in names:
        model = load_model(name)
        predictor = Predictor(model)
        x = preprocess(drawings[0]).input
        for _ in range(5):  # both paths traced and warm before timing
            predictor(x)
            model.predict(x[np.newaxis], verbose=0)
        ours, predict = [], []
        for canvas in drawings:
            t = time.perf_counter()
            predictor(preprocess(canvas).input)
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            model.predict(preprocess(canvas).input[np.newaxis], verbose=0)
            predict.append((time.perf_counter() - t) * 1000)
        (o50, o95), (k50, k95) = p50_p95(ours), p50_p95(predict)
        rows.append({"arch": name, "ours_p50_ms": o50, "ours_p95_ms": o95,
                     "predict_p50_ms": k50, "predict_p95_ms": k95, "speedup_p50": k50 / o50})
    return rows


def _plain_fit(name: str, settings: Settings, seed: int) -> tuple[float, float]:
    """The article's path: model.fit on float32 numpy arrays with one-hot labels."""
    import keras

    from cnn_demo.data import load_mnist

    mnist = load_mnist()
    x, y = np.array(mnist.train.x[: settings.train_size]), mnist.train.y[: settings.train_size]
    x_val = mnist.test.x[: settings.validation_size]
    y_val = keras.utils.to_categorical(mnist.test.y[: settings.validation_size], 10)
    keras.utils.set_random_seed(seed)
    model = ARCHITECTURES[name].build()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, keras.utils.to_categorical(y, 10), batch_size=ARTICLE_BATCH_SIZE, epochs=settings.epochs,
              validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    return seconds, model.evaluate(x_val, y_val, batch_size=1000, verbose=0)[1]


def _project_fit(name: str, settings: Settings, seed: int) -> tuple[float, float]:
    """The project's path: cnn_demo.training.train, as the CLI and the app use it."""
    from cnn_demo.data import Split, load_mnist
    from cnn_demo.training import TrainingConfig, build_for_training, evaluate, train

    config = TrainingConfig(settings.epochs, ARTICLE_BATCH_SIZE, train_size=settings.train_size,
                            validation_size=settings.validation_size, seed=seed)
    model = build_for_training(name, config)
    start = time.perf_counter()
    train(model, load_mnist(), config)
    seconds = time.perf_counter() - start
    test = load_mnist().test
    return seconds, evaluate(model, Split(test.x[: settings.validation_size], test.y[: settings.validation_size]))[1]


def bench_training(names: list[str], settings: Settings) -> list[dict]:
    """Seconds per epoch (validation included, tracing included) and test accuracy, both paths."""
    from cnn_demo.training import DEFAULT_PRECISION

    rows = []
    for name in names:
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "ours": []}
        for seed in range(settings.rounds):
            order = ["plain", "ours"] if seed % 2 == 0 else ["ours", "plain"]
            for side in order:
                fit = _plain_fit if side == "plain" else _project_fit
                runs[side].append(fit(name, settings, seed))
        per_epoch = {side: float(np.median([s for s, _ in r])) / settings.epochs for side, r in runs.items()}
        accuracy = {side: float(np.mean([a for _, a in r])) for side, r in runs.items()}
        rows.append({
            "arch": name, "epochs": settings.epochs, "train_size": settings.train_size,
            "precision": DEFAULT_PRECISION,
            "plain_s_per_epoch": per_epoch["plain"], "ours_s_per_epoch": per_epoch["ours"],
            "plain_samples_per_s": settings.train_size / per_epoch["plain"],
            "ours_samples_per_s": settings.train_size / per_epoch["ours"],
            "speedup": per_epoch["plain"] / per_epoch["ours"],
            "plain_test_accuracy": accuracy["plain"], "ours_test_accuracy": accuracy["ours"],
            "accuracy_difference_points": 100 * (accuracy["ours"] - accuracy["plain"]),
        })
    return rows


def bench_app() -> dict:
    """Seconds from `streamlit run app.py` to a page ready to draw on; the server's peak memory
    once every shipped model has read a drawing."""
    from cnn_demo.browser import (
        chromium_browser, draw, open_app, peak_memory_mb, select_architecture, streamlit_server,
    )
    from cnn_demo.strokes import DIGITS, place

    start = time.perf_counter()
    with streamlit_server() as (url, server), chromium_browser() as browser:
        page = open_app(browser, url)
        ready = time.perf_counter() - start
        draw(page, place(DIGITS[3], 45, 40, 190))
        for arch in ARCHITECTURES.values():
            select_architecture(page, arch.label)
        return {"seconds_to_ready": ready, "peak_memory_mb": peak_memory_mb(server.pid)}


def _time_to_prediction(page, stroke) -> float:
    """Milliseconds from the mouse-up that ends a one-stroke digit to the Prediction shown."""
    from cnn_demo.browser import canvas, prediction_metric, reset_canvas, trace

    if prediction_metric(page).count():
        reset_canvas(page)
    trace(page, canvas(page).bounding_box(), stroke)
    start = time.perf_counter()
    page.mouse.up()
    prediction_metric(page).wait_for(state="visible", timeout=30_000)
    return (time.perf_counter() - start) * 1000


def bench_end_to_end(samples: int) -> dict:
    """Drawing-to-prediction in Chromium on the app (pooled model) and on the floor app,
    alternating one digit on each."""
    from cnn_demo.browser import chromium_browser, open_app, select_architecture, streamlit_server
    from cnn_demo.strokes import DIGITS, place

    one_stroke = [place(DIGITS[d], 45, 40, 190)[0] for d in (0, 2, 3, 7, 8)]
    with streamlit_server() as (app_url, _), streamlit_server(FLOOR_APP) as (floor_url, _), \
            chromium_browser() as browser:
        app, floor = open_app(browser, app_url), open_app(browser, floor_url)
        select_architecture(app, "Pooled")
        for page in (app, floor):  # a first drawing each, untimed: warm caches and traces
            _time_to_prediction(page, one_stroke[0])
        times: dict[str, list[float]] = {"app": [], "floor": []}
        for i in range(samples):
            stroke = one_stroke[i % len(one_stroke)]
            for side, page in (("app", app), ("floor", floor))[:: 1 if i % 2 == 0 else -1]:
                times[side].append(_time_to_prediction(page, stroke))
    (a50, a95), (f50, f95) = p50_p95(times["app"]), p50_p95(times["floor"])
    return {"samples": samples, "app_p50_ms": a50, "app_p95_ms": a95,
            "floor_p50_ms": f50, "floor_p95_ms": f95, "ratio_p50": a50 / f50}


def machine() -> dict:
    import keras
    import tensorflow as tf

    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__}


def print_table(results: dict) -> None:
    print(f"\nInference: preprocessing + forward pass + all activations vs model.predict (ms)")
    print(f"{'arch':10} {'ours p50':>9} {'ours p95':>9} {'predict p50':>12} {'predict p95':>12} {'speedup':>8}")
    for r in results["inference"]:
        print(f"{r['arch']:10} {r['ours_p50_ms']:9.2f} {r['ours_p95_ms']:9.2f} {r['predict_p50_ms']:12.2f}"
              f" {r['predict_p95_ms']:12.2f} {r['speedup_p50']:7.1f}x")
    print(f"\nTraining: project path vs plain model.fit ({results['training'][0]['epochs']} epochs, "
          f"{results['training'][0]['train_size']:,} images, batch {ARTICLE_BATCH_SIZE})")
    print(f"{'arch':10} {'plain s/ep':>10} {'ours s/ep':>10} {'plain smp/s':>12} {'ours smp/s':>11}"
          f" {'speedup':>8} {'plain acc':>10} {'ours acc':>9}")
    for r in results["training"]:
        print(f"{r['arch']:10} {r['plain_s_per_epoch']:10.1f} {r['ours_s_per_epoch']:10.1f}"
              f" {r['plain_samples_per_s']:12,.0f} {r['ours_samples_per_s']:11,.0f} {r['speedup']:7.2f}x"
              f" {r['plain_test_accuracy']:10.2%} {r['ours_test_accuracy']:9.2%}")
    for key, title in (("app", "App"), ("end_to_end", "End to end in Chromium")):
        print(f"\n{title}: " + ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in results[key].items()))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short version, for the tests")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--arch", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES),
                        help="architectures for the inference and training sections (default: all)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    results: dict = {"mode": "quick" if args.quick else "full", "settings": asdict(settings),
                     "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    results["inference"] = bench_inference(args.arch, canvas_drawings(settings.drawings))
    results["training"] = bench_training(args.arch, settings)
    from cnn_demo.browser import chromium_path

    if chromium_path() is None:
        results["app"] = results["end_to_end"] = {"skipped": "no Chromium found"}
    else:
        results["app"] = bench_app()
        results["end_to_end"] = bench_end_to_end(settings.e2e_samples)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return results


if __name__ == "__main__":
    main()

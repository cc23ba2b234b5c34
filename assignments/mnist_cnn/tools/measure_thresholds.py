"""Re-measures what mnist_cnn_support's THRESHOLDS and CHANCE_MAX rest on (a measurement, not a test).

    .venv/bin/python assignments/mnist_cnn/tools/measure_thresholds.py [--seeds 10] [--variant-seeds 5]

For Reseau1 and Reseau2: the reference trained by the grader's loop (MNIST_SETTINGS) over seeds
0..N-1, and the correct variants of mutants/variants.toml that change the networks over fewer
seeds, on one thread as in the worker: min, mean and standard deviation of the test accuracy, and
how far the threshold sits under the minimum and the mean (in standard deviations).
Then the fresh networks' accuracy on the first FRESH_IMAGES test digits over 60 seeds (CHANCE_MAX).
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
import time
import tomllib
import types
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "support"))

import mnist_cnn_drivers as drivers  # noqa: E402
import mnist_cnn_support as support  # noqa: E402

NETWORKS = ("Reseau1", "Reseau2")


def module_of(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def class_source(source: str, name: str) -> str:
    return "".join(ast.get_source_segment(source, node) or "" for node in ast.parse(source).body
                   if isinstance(node, ast.ClassDef) and node.name == name)


def variants(network: str) -> dict[str, types.ModuleType]:
    """The reference, and each replacement variant that changes the class `network`."""
    reference = (ROOT / "reference" / "mnist_cnn.py").read_text(encoding="utf-8")
    modules = {"reference": module_of(reference, "reference")}
    manifest = tomllib.loads((ROOT / "mutants" / "variants.toml").read_text(encoding="utf-8"))
    for variant in manifest.get("variant", []):
        source = reference
        for old, new in variant.get("replace", []):
            source = source.replace(old, new, 1)
        if class_source(source, network) != class_source(reference, network):
            modules[variant["name"]] = module_of(source, variant["name"])
    return modules


def trained_accuracy(module: types.ModuleType, name: str, seed: int) -> float:
    Xtrain, ytrain, Xtest, ytest = support.mnist()
    torch.manual_seed(seed)
    model = getattr(module, name)()
    drivers.fit(model, support.images(Xtrain), ytrain.long(), support.MNIST_SETTINGS[name], seed)
    return support.accuracy(drivers.predict(model, support.images(Xtest)), ytest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--variant-seeds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in NETWORKS:
        modules = variants(name)
        settings = support.MNIST_SETTINGS[name]
        print(f"{name}: {settings['iterations']} batches of {settings['batch']}, "
              f"threshold now {support.THRESHOLDS[name]:.1%}")
        reference_accuracies = []
        for label, module in modules.items():
            seeds = args.seeds if label == "reference" else args.variant_seeds
            started = time.perf_counter()
            accuracies = [trained_accuracy(module, name, seed) for seed in range(seeds)]
            if label == "reference":
                reference_accuracies = accuracies
            print(f"  {label:40s} min {min(accuracies):.1%}  mean {statistics.mean(accuracies):.1%}  "
                  f"std {statistics.pstdev(accuracies):.2%}  seed 0 {accuracies[0]:.1%}  "
                  f"({(time.perf_counter() - started) / seeds:.1f} s a training)")
        mean, std = statistics.mean(reference_accuracies), statistics.pstdev(reference_accuracies)
        threshold = support.THRESHOLDS[name]
        print(f"  the threshold sits {100 * (min(reference_accuracies) - threshold):.1f} points under the "
              f"reference's minimum, {(mean - threshold) / std if std else float('inf'):.1f} standard "
              f"deviations under its mean")
    reference = variants(NETWORKS[0])["reference"]
    _, _, Xtest, ytest = support.mnist()
    fresh = support.images(Xtest[:support.FRESH_IMAGES])
    for name in NETWORKS:
        accuracies = []
        for seed in range(60):
            torch.manual_seed(seed)
            accuracies.append(support.accuracy(drivers.predict(getattr(reference, name)(), fresh),
                                               ytest[:support.FRESH_IMAGES]))
        print(f"fresh {name} on {support.FRESH_IMAGES} test digits, 60 seeds: max {max(accuracies):.1%}, "
              f"mean {statistics.mean(accuracies):.1%} (CHANCE_MAX {support.CHANCE_MAX:.0%})")


if __name__ == "__main__":
    main()

"""Where the repository's files are: one place, so no module works it out again."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRETRAINED_DIR = ROOT / "pretrained"
DATA_DIR = ROOT / "data"
MNIST_PATH = DATA_DIR / "mnist.npz"

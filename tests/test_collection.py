"""A visitor's drawings survive a download and an upload; a hostile zip gets one sentence."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest

from archives import zipped
from cnn_demo.collection import ARRAYS, MAX_DRAWINGS, Collection, CollectionError
from cnn_demo.preprocess import preprocess
from cnn_demo.strokes import digit, render


@pytest.fixture
def three() -> Collection:
    collection = Collection()
    for d in (3, 7, 1):
        canvas = render(digit(d))
        collection.add(d, preprocess(canvas).input, canvas)
    return collection


def arrays(**values) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **values)
    return buffer.getvalue()


def test_a_downloaded_collection_uploads_back_with_its_inputs_labels_and_drawings(three):
    back = Collection.from_zip(three.to_zip())
    assert [s.label for s in back.samples] == [3, 7, 1]
    np.testing.assert_allclose(back.split().x, three.split().x, atol=1 / 255)
    assert [s.drawing for s in back.samples] == [s.drawing for s in three.samples]


def test_the_zip_holds_the_arrays_and_one_png_per_drawing(three):
    with zipfile.ZipFile(io.BytesIO(three.to_zip())) as archive:
        assert sorted(archive.namelist()) == [ARRAYS, "drawings/0000_3.png", "drawings/0001_7.png",
                                              "drawings/0002_1.png"]


def test_a_label_outside_0_to_9_is_not_added(three):
    with pytest.raises(CollectionError, match="from 0 to 9"):
        three.add(10, three.samples[0].input)


HOSTILE = {
    "random bytes": (np.random.default_rng(0).bytes(5000), "not a zip file"),
    "truncated zip": (None, "not a zip file"),
    "zip bomb": (zipped({"collection.npz": bytes(60 * 2**20)}), "refused unopened"),
    "zip without arrays": (zipped({"notes.txt": b"hello"}), "has no collection.npz"),
    "damaged arrays": (zipped({ARRAYS: b"PK\x03\x04 not an npz"}), "damaged"),
    "wrong image shape": (zipped({ARRAYS: arrays(x=np.zeros((2, 32, 32), np.uint8), y=np.array([1, 2]))}),
                          "shaped (2, 32, 32)"),
    "label outside 0-9": (zipped({ARRAYS: arrays(x=np.zeros((2, 28, 28), np.uint8), y=np.array([3, 12]))}),
                          "from 0 to 9"),
    "fewer labels": (zipped({ARRAYS: arrays(x=np.zeros((3, 28, 28), np.uint8), y=np.array([3]))}),
                     "3 drawings but 1 labels"),
    "pickled objects": (zipped({ARRAYS: arrays(x=np.array([{"a": 1}], dtype=object), y=np.array([1]))}),
                        "damaged"),
    "too many drawings": (zipped({ARRAYS: arrays(x=np.zeros((MAX_DRAWINGS + 1, 28, 28), np.uint8),
                                                 y=np.zeros(MAX_DRAWINGS + 1, np.uint8))}), "at most 500"),
    "a drawing that is not a png": (zipped({ARRAYS: arrays(x=np.zeros((1, 28, 28), np.uint8), y=np.array([4])),
                                            "drawings/0000_4.png": b"GIF89a..."}), "not a PNG drawing"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_upload_is_refused_with_one_sentence(three, case):
    data, message = HOSTILE[case]
    if data is None:
        data = three.to_zip()[:-200]
    with pytest.raises(CollectionError, match=re.escape(message)) as refusal:
        Collection.from_zip(data)
    assert "\n" not in str(refusal.value) and str(refusal.value).endswith(".")


def test_a_png_bomb_is_refused_from_its_header(three):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buffer, format="PNG")  # 400 megapixels of black: a few hundred KB
    data = zipped({ARRAYS: arrays(x=np.zeros((1, 28, 28), np.uint8), y=np.array([4])),
                   "drawings/0000_4.png": buffer.getvalue()})
    with pytest.raises(CollectionError, match="not a PNG drawing of at most 1024"):
        Collection.from_zip(data)

"""Distillation: the student learns from the labels and from the teacher of each image's source."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from interrupted import InterruptedAfter

from cnn_demo.architectures import get_architecture
from cnn_demo.data import Split
from cnn_demo.distillation import Distiller, averaged, coded_labels
from cnn_demo.fitting import TrainingConfig, TrainingData, train, with_dtype_policy
from cnn_demo.progress import TrainingProgress


def constant_teacher(digit: int, share: float = 0.9) -> keras.Model:
    """A softmax model that gives `digit` `share` of its probability, whatever it is shown. Every
    one has the same name, as every model built by one registry entry has ("residual")."""
    p = np.full(10, (1 - share) / 9)
    p[digit] = share
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")], name="teacher")
    model.layers[-1].set_weights([np.zeros((784, 10)), np.log(p)])
    return model


def test_coded_labels_say_which_images_come_from_mnist_and_which_are_drawn():
    assert list(coded_labels(np.array([3, 7, 3, 0]), from_mnist=2)) == [3, 7, 13, 10]


def test_several_teachers_for_one_source_answer_their_mean():
    teacher = averaged([with_dtype_policy(constant_teacher(3), "mixed_bfloat16"), constant_teacher(7)])
    p = keras.ops.convert_to_numpy(teacher(np.zeros((1, 28, 28, 1), np.float32)))[0]
    assert p.dtype == np.float32
    np.testing.assert_allclose(p[[3, 7, 0]], [(0.9 + 0.1 / 9) / 2, (0.9 + 0.1 / 9) / 2, 0.1 / 9], rtol=0.01)


def test_each_image_gets_its_own_sources_teacher_answer_in_the_batchs_order():
    distiller = Distiller(get_architecture("baseline").build(), [constant_teacher(3), constant_teacher(7)])
    x = np.zeros((4, 28, 28, 1), np.float32)
    answers = keras.ops.convert_to_numpy(distiller.answers(x, np.array([1, 0, 0, 1])))
    assert list(answers.argmax(axis=1)) == [7, 3, 3, 7]
    np.testing.assert_allclose(answers.max(axis=1), 0.9, rtol=1e-5)


def test_a_batch_of_one_source_alone_needs_only_its_teacher():
    # compiled, as in training, and a convolutional teacher: a compiled convolution refuses an empty batch
    teachers = [get_architecture("pooled").build(), constant_teacher(7)]
    distiller = Distiller(get_architecture("baseline").build(), teachers)
    answers = tf.function(distiller.answers, input_signature=[tf.TensorSpec((None, 28, 28, 1)),
                                                              tf.TensorSpec((None,), tf.int64)])
    p = keras.ops.convert_to_numpy(answers(np.zeros((2, 28, 28, 1), np.float32), np.array([1, 1])))
    assert p.shape == (2, 10) and list(p.argmax(axis=1)) == [7, 7]


def test_a_student_learns_from_the_teacher_of_each_images_source():
    # MNIST's images blank, the drawings all ink, every label 0; MNIST's teacher says 3, the drawings' 7
    x = np.concatenate([np.zeros((256, 28, 28, 1)), np.ones((256, 28, 28, 1))]).astype(np.float32)
    y = coded_labels(np.zeros(512, np.int64), from_mnist=256)
    config = TrainingConfig(epochs=3, batch_size=32, learning_rate=1e-2, train_size=512, seed=0,
                            precision="float32")
    keras.utils.set_random_seed(0)
    student = get_architecture("baseline").build()
    result = train(Distiller(student, [constant_teacher(3), constant_teacher(7)]),
                   TrainingData(Split(x, y)), config)
    assert result.epochs_completed == 3
    blank, inked = student.predict(x[[0, -1]], verbose=0)
    assert blank.argmax() == inked.argmax() == 0  # the labels weigh as much as the teachers
    assert blank[3] > 0.2 and inked[7] > 0.2  # and each kind of image learned its own teacher's answer
    assert blank[3] > 5 * blank[7] and inked[7] > 5 * inked[3]


def test_an_interrupted_distillation_goes_on_from_its_last_whole_epoch(tmp_path):
    x = np.random.default_rng(0).random((64, 28, 28, 1), np.float32)
    data = TrainingData(Split(x, coded_labels(np.zeros(64, np.int64), from_mnist=32)))
    config = TrainingConfig(epochs=3, batch_size=32, train_size=64, seed=0, precision="float32")
    teachers = [constant_teacher(3), constant_teacher(7)]
    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        train(Distiller(get_architecture("baseline").build(), teachers), data, config,
              InterruptedAfter(1, config.epochs), backup_dir=backup)
    progress, distiller = TrainingProgress(config.epochs), Distiller(get_architecture("baseline").build(), teachers)
    result = train(distiller, data, config, progress, backup_dir=backup)
    assert [e.epoch for e in progress.snapshot().epoch_ends] == [1, 2]  # the first was not run again
    assert result.epochs_completed == 3
    assert int(distiller.optimizer.iterations) == 6  # 2 batches an epoch, the first epoch's restored


def test_a_distilled_training_ships_the_plain_student_and_names_its_teachers(tmp_path):
    from cnn_demo.pretrained import load_model
    from cnn_demo.train import train_and_ship

    teachers = (tmp_path / "mnist_teacher.keras", tmp_path / "drawings_teacher.keras")
    constant_teacher(3).save(teachers[0])
    constant_teacher(7).save(teachers[1])
    config = TrainingConfig(epochs=1, batch_size=128, train_size=512, seed=0, precision="float32")
    row = train_and_ship("baseline", config, "mnist", tmp_path, teachers=teachers)
    assert row["teachers"] == [str(t) for t in teachers]
    assert f"from {teachers[0]} on MNIST's images and {teachers[1]} on the pen drawings" in row["recipe_description"]
    shipped = load_model("baseline", tmp_path)
    assert type(shipped) is not Distiller and shipped.count_params() == 26_506
    assert row["test_accuracy"] > 0.5  # the labels were learned too


def test_a_distillation_from_averaged_teachers_names_each_of_them(tmp_path):
    from cnn_demo.train import train_and_ship

    files = [tmp_path / f"teacher_{d}.keras" for d in (3, 7, 1)]
    for digit, file in zip((3, 7, 1), files):
        constant_teacher(digit).save(file)
    config = TrainingConfig(epochs=1, batch_size=128, train_size=256, seed=0, precision="float32")
    row = train_and_ship("baseline", config, "mnist", tmp_path, teachers=(files[0], f"{files[1]},{files[2]}"))
    assert row["teachers"] == [str(files[0]), f"{files[1]},{files[2]}"]
    assert (f"from {files[0]} on MNIST's images and the average of {files[1]} and {files[2]} on the pen drawings"
            in row["recipe_description"])


def test_teachers_are_only_for_the_drawings_recipe(tmp_path):
    from cnn_demo.train import main

    with pytest.raises(SystemExit):
        main(["--arch", "residual", "--recipe", "mnist", "--teachers", "a.keras", "b.keras",
              "--out-dir", str(tmp_path)])

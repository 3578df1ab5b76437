"""segcourse.runtime: set-up, precision choice, compile/fit defaults, MirroredStrategy."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from segcourse import data, runtime


@pytest.fixture(autouse=True)
def restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def tiny_model(num_classes: int = 3) -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(num_classes, 1)(x)
    return keras.Model(inputs, keras.layers.Activation("softmax", dtype="float32")(x))


def test_setup_summary_and_seeding(capsys):
    info = runtime.setup(seed=3, precision="float32")
    assert capsys.readouterr().out.strip() == info.summary
    assert info.summary.startswith("device CPU") and "precision float32" in info.summary
    first = np.random.rand(3)  # noqa: NPY002 (setup seeds the legacy global generator too)
    runtime.setup(seed=3, precision="float32", verbose=False)
    assert np.array_equal(first, np.random.rand(3))  # noqa: NPY002
    assert capsys.readouterr().out == ""


def test_auto_precision_is_float32_without_gpu():
    assert runtime.resolve_precision("auto") == "float32"
    assert runtime.setup(precision="auto", verbose=False).precision == "float32"


def test_forced_mixed_precision_sets_the_policy():
    info = runtime.setup(precision="mixed_float16", verbose=False)
    assert info.precision == "mixed_float16"
    assert keras.mixed_precision.global_policy().name == "mixed_float16"


@pytest.mark.parametrize(
    "details, expected",
    [({"compute_capability": (7, 5)}, True), ({"compute_capability": (6, 1)}, False), ({}, False)],
)
def test_gpu_float16_support(details, expected):
    assert runtime.gpu_supports_float16(details) is expected


@pytest.mark.parametrize("kwargs, name", [({"precision": "float64"}, "precision"), ({"seed": -1}, "seed")])
def test_bad_setup_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        runtime.setup(verbose=False, **kwargs)


def test_masked_accuracy_ignores_void():
    y_true = np.array([[[0, 1], [data.VOID, 2]]])
    scores = keras.ops.one_hot(np.array([[[0, 2], [1, 2]]]), 3)
    # Labelled pixels: (0 right), (1 wrong), (2 right): 2 of 3; the void pixel does not count.
    assert float(runtime.masked_accuracy(y_true, scores)[0]) == pytest.approx(2 / 3)


def test_fit_prints_one_line_per_epoch_and_returns_history(capsys):
    runtime.setup(seed=0, verbose=False)
    rng = np.random.default_rng(0)
    images = rng.random((8, 16, 16, 3), dtype=np.float32)
    labels = (images[..., 0] > 0.5).astype(np.uint8) + (images[..., 1] > 0.5)
    labels[:, 0, 0] = data.VOID
    model = runtime.compile_model(tiny_model(), learning_rate=1e-2)
    dataset = data.make_dataset(images, labels, batch_size=4, shuffle=False)
    history = runtime.fit(model, dataset, dataset, epochs=3)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3") and "val_mean_iou" in lines[-1]
    assert set(history.history) >= {"loss", "mean_iou", "masked_accuracy", "val_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_refuses_an_uncompiled_model():
    with pytest.raises(ValueError, match="`model` must be compiled"):
        runtime.fit(tiny_model(), None, epochs=1)


def test_count_parameters():
    # conv 3x3x3x8 + 8 biases, conv 1x1x8x3 + 3 biases
    assert runtime.count_parameters(tiny_model()) == 3 * 3 * 3 * 8 + 8 + 8 * 3 + 3


def test_training_under_mirrored_strategy_on_two_logical_cpus():
    # Logical devices must be configured before TensorFlow initialises, hence a fresh interpreter.
    script = textwrap.dedent(
        """
        import numpy as np
        import segcourse
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
        import keras
        from segcourse import data, runtime
        runtime.setup(seed=0, verbose=False)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            inputs = keras.Input((32, 32, 3))
            x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
            x = keras.layers.Conv2D(data.NUM_CLASSES, 1)(x)
            model = keras.Model(inputs, keras.layers.Activation("softmax", dtype="float32")(x))
            runtime.compile_model(model)
        images, labels = data.synthetic_scenes(16, height=64, width=64, seed=0)
        dataset = data.make_dataset(images[:, :32, :32], labels[:, :32, :32], batch_size=8)
        history = runtime.fit(model, dataset, epochs=2, verbose=False)
        loss = history.history["loss"]
        assert strategy.num_replicas_in_sync == 2
        assert np.all(np.isfinite(loss)), loss
        print("replicas", strategy.num_replicas_in_sync, "loss", loss)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "replicas 2" in done.stdout


def test_compiled_model_saves_and_loads(tmp_path):
    model = runtime.compile_model(tiny_model())
    images = np.zeros((2, 16, 16, 3), dtype=np.float32)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert np.allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0))

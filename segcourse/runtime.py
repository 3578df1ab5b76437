"""Runtime: seeding, device and precision set-up, and the training defaults every chapter shares.

A chapter starts with ``setup()`` and trains with ``compile_model`` and ``fit``:

>>> info = setup(seed=0)                                # doctest: +SKIP
device CPU (2 cores) | precision float32 | backend tensorflow | seed 0
>>> compile_model(model, num_classes=8)                 # doctest: +SKIP
>>> history = fit(model, train_ds, val_ds, epochs=5)    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from segcourse._validate import check_choice, check_positive_int
from segcourse.data import VOID

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass(frozen=True)
class RuntimeInfo:
    """What ``setup`` chose: the device, the precision policy, the Keras backend and the seed."""

    device: str
    precision: str
    backend: str
    seed: int | None
    gpus: tuple[str, ...]

    @property
    def summary(self) -> str:
        """A one-line summary, as ``setup`` prints it."""
        return (
            f"device {self.device} | precision {self.precision} | backend {self.backend} | "
            f"seed {self.seed}"
        )

    def __str__(self) -> str:
        return self.summary


def quiet_tensorflow() -> None:
    """Keeps TensorFlow's and absl's Python-side log lines and warnings out of notebook outputs.

    The C++ start-up lines are already silenced when ``segcourse`` is imported (see ``segcourse/__init__.py``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    for module in ("tensorflow", "keras", "absl"):
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        warnings.filterwarnings("ignore", category=UserWarning, module=module)


def gpu_supports_float16(details: dict[str, Any]) -> bool:
    """True when a GPU (given its ``tf.config.experimental.get_device_details``) has fast float16.

    Tensor cores arrive with compute capability 7.0 (Volta); older GPUs run float16 no faster than float32.
    """
    capability = details.get("compute_capability")
    return capability is not None and tuple(capability) >= (7, 0)


def resolve_precision(precision: str = "auto") -> str:
    """Returns the Keras dtype policy name that ``setup(precision=...)`` would use on this machine.

    ``"auto"`` chooses ``"mixed_float16"`` when every visible GPU supports it (compute capability >= 7.0) and
    ``"float32"`` otherwise (a CPU gains nothing from float16 and runs many float16 kernels slowly).

    Args:
        precision: one of ``"auto"``, ``"float32"``, ``"mixed_float16"``, ``"mixed_bfloat16"``.
    """
    check_choice(precision, "precision", PRECISIONS)
    if precision != "auto":
        return precision
    gpus = tf.config.list_physical_devices("GPU")
    if gpus and all(gpu_supports_float16(tf.config.experimental.get_device_details(g)) for g in gpus):
        return "mixed_float16"
    return "float32"


def describe_device() -> tuple[str, tuple[str, ...]]:
    """Returns a short device description and the names of the visible GPUs."""
    gpus = tf.config.list_physical_devices("GPU")
    names = tuple(
        tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus
    )
    if names:
        return f"GPU x{len(names)} ({names[0]})", names
    return f"CPU ({os.cpu_count()} cores)", names


def setup(
    seed: int | None = 0,
    precision: str = "auto",
    deterministic: bool = False,
    verbose: bool = True,
) -> RuntimeInfo:
    """Prepares a chapter's run: seeds, quiet logs, device detection and the precision policy.

    Seeds Python's ``random``, NumPy and the backend (``keras.utils.set_random_seed``) so that data, initial
    weights and shuffling repeat from run to run; keeps TensorFlow's log lines out of notebook outputs; picks
    the global dtype policy (mixed precision only where a GPU supports it, unless ``precision`` says
    otherwise). Models keep their final softmax in float32 under any policy.

    Args:
        seed: integer seed, or None to leave the generators unseeded.
        precision: ``"auto"`` (``mixed_float16`` on a GPU with compute capability >= 7.0, else ``float32``),
            or a Keras policy name to force: ``"float32"``, ``"mixed_float16"``, ``"mixed_bfloat16"``.
        deterministic: also ask TensorFlow for deterministic kernels
            (``tf.config.experimental.enable_op_determinism``): bit-for-bit repeatable training on one
            machine, somewhat slower. Must be decided before the first operation runs.
        verbose: print the one-line summary.

    Returns:
        A ``RuntimeInfo`` (device, precision, backend, seed, gpus).

    Example:

    >>> info = setup(seed=0, precision="float32", verbose=False)
    >>> info.precision
    'float32'
    """
    if seed is not None:
        check_positive_int(seed, "seed", minimum=0)
    policy = resolve_precision(precision)
    quiet_tensorflow()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(policy)
    device, gpus = describe_device()
    info = RuntimeInfo(device, policy, keras.backend.backend(), seed, gpus)
    if verbose:
        print(info.summary)
    return info


@keras.saving.register_keras_serializable(package="segcourse")
def masked_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Pixel accuracy over labelled pixels: void pixels (label ``VOID``) are left out.

    Returns one value per image (the fraction of its labelled pixels predicted right); Keras averages them.
    Use ``segcourse.metrics`` for exact evaluation over a whole data set.
    """
    y_true = keras.ops.cast(y_true, "int32")
    if len(y_true.shape) == len(y_pred.shape):  # (n, h, w, 1) labels
        y_true = keras.ops.squeeze(y_true, axis=-1)
    predicted = keras.ops.cast(keras.ops.argmax(y_pred, axis=-1), "int32")
    labelled = keras.ops.cast(keras.ops.not_equal(y_true, VOID), "float32")
    correct = keras.ops.cast(keras.ops.equal(predicted, y_true), "float32") * labelled
    axes = tuple(range(1, len(correct.shape)))
    return keras.ops.sum(correct, axis=axes) / keras.ops.maximum(keras.ops.sum(labelled, axis=axes), 1.0)


def compile_model(
    model: keras.Model,
    num_classes: int | None = None,
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    ignore_class: int | None = VOID,
) -> keras.Model:
    """Compiles a segmentation model with the course's defaults, and returns it.

    Adam (an instance: the original article passes the class, ``optimizer=tf.keras.optimizers.Adam``, which
    Keras rejects), sparse categorical cross-entropy averaged over every labelled pixel of the batch, void
    ignored; metrics: pixel accuracy over labelled pixels and mean IoU (``keras.metrics.MeanIoU`` with
    ``sparse_y_pred=False``, since the model outputs class scores).

    Args:
        model: a model whose output is a per-pixel softmax ``(n, h, w, num_classes)``.
        num_classes: number of classes; defaults to the output's last dimension.
        learning_rate: Adam's learning rate.
        jit_compile: XLA. ``"auto"`` lets Keras decide (on with a GPU, off on a CPU-only machine, where
            XLA rarely pays for its compilation time on these small models); True or False to force.
        ignore_class: the label that the loss and mean IoU ignore (void), or None.

    Returns:
        The same model, compiled.
    """
    if num_classes is None:
        num_classes = int(model.output_shape[-1])
    check_positive_int(num_classes, "num_classes", minimum=2)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=ignore_class),
        metrics=[
            masked_accuracy,
            keras.metrics.MeanIoU(
                num_classes, sparse_y_pred=False, ignore_class=ignore_class, name="mean_iou"
            ),
        ],
        jit_compile=jit_compile,
    )
    return model


class EpochLine(keras.callbacks.Callback):
    """Prints one compact line per epoch (no per-batch progress bar), suitable for a rendered book.

    Example line: ``epoch  3/10  loss 0.512  masked_accuracy 0.861  val_loss 0.498 ...  2.1 s``.

    Args:
        every: print every ``every``-th epoch (and always the last one).
        digits: decimals shown for each value.
    """

    def __init__(self, every: int = 1, digits: int = 3) -> None:
        super().__init__()
        self.every = check_positive_int(every, "every")
        self.digits = digits
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        total = self.params.get("epochs", epoch + 1)
        if (epoch + 1) % self.every and epoch + 1 != total:
            return
        values = "  ".join(f"{k} {float(v):.{self.digits}f}" for k, v in (logs or {}).items())
        width = len(str(total))
        seconds = time.perf_counter() - self._start
        print(f"epoch {epoch + 1:>{width}}/{total}  {values}  {seconds:.1f} s")


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset | None = None,
    epochs: int = 10,
    verbose: bool = True,
    every: int = 1,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> keras.callbacks.History:
    """Trains a compiled model with the course's display: one line per epoch, history returned.

    Args:
        model: a compiled model (see ``compile_model``).
        train: the training ``tf.data.Dataset`` (see ``segcourse.data.make_dataset``).
        validation: an optional validation data set, evaluated after every epoch.
        epochs: number of passes over ``train``.
        verbose: print a line per epoch (``EpochLine``); False trains silently.
        every: print only every ``every``-th epoch (and the last).
        callbacks: further Keras callbacks.

    Returns:
        The ``keras.callbacks.History``; ``history.history`` maps each metric to its per-epoch values, ready
        for ``segcourse.viz.plot_history``.
    """
    if not getattr(model, "compiled", False):
        raise ValueError("`model` must be compiled first, e.g. with segcourse.runtime.compile_model(model).")
    check_positive_int(epochs, "epochs")
    shown = [EpochLine(every=every)] if verbose else []
    return model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        verbose=0,
        callbacks=[*shown, *callbacks],
    )


def count_parameters(model: keras.Model) -> int:
    """Number of trainable parameters of ``model``."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))

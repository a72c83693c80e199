"""Entry script of the bundled console executable `xray-desktop-cli` (the same CLI as `xray-desktop`)."""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # joblib/sklearn may spawn workers from a frozen program
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users

    from xray_desktop.cli import main

    sys.exit(main())

"""emopia_lightning: emotion recognition and emotion-conditioned generation of piano music.

Importing the package sets one thing: MKL's strict reproducibility mode (``MKL_CBWR``), unless the
environment sets it already. Without it MKL multiplies a few rows in another order than many, so a
piece sampled beside other requests (the page's batches) could differ in the last bit of a logit
from the same piece alone, and now and then pick another token; strict mode costs a sampling step
of one request about a third more and large training products nothing (measured on this CPU). The
config resolvers are registered by the entry points (:mod:`emopia_lightning.config_registry`).
"""

import os

os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")  # read by MKL at its first product, not at import

__version__ = "0.1.0"

"""emopia_lightning: emotion recognition and emotion-conditioned generation of piano music.

Importing the package does nothing else: the config resolvers are registered by the entry points
(:mod:`emopia_lightning.config_registry`), the checkout's root is :mod:`emopia_lightning.project_root`.
"""

__version__ = "0.1.0"

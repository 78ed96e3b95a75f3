"""errsynth: fake-error (retry) augmentation data for language-model training."""

__version__ = "0.1.0"

"""LightningModules; the plain nn.Modules they wrap live in ``components``."""

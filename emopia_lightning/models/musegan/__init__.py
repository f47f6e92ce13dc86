"""The label-conditioned MuseGAN and everything that generates with it.

- ``module``: the LightningModule (WGAN-GP by manual optimisation, AC-GAN head);
- ``networks``: its generator and critic (nn.Modules);
- ``sampling``: latents per piece, chained segments, the final chord;
- ``pieces``: generated pieces written as MIDI, a piano-roll PNG and WAV.
"""

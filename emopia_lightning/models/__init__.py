"""LightningModules: ``emotion_classifier`` (the LSTM and ShortChunkCNN_Res of ``components``) and
the ``musegan`` package (the GAN, its networks, and generating with it)."""

"""Measuring generated music against real EMOPIA: emotion judged by a classifier trained on real
segments (``judge``, ``emotion_scores``), musical metrics (``music_metrics``), real-vs-generated
comparisons (``comparisons``) and the Markdown report (``report``); ``emopia_lightning.evaluate_generator``
runs them."""

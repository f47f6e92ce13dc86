"""Classical emotion classifiers: hand-made features, scikit-learn models, RFECV, cross-validation."""

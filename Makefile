# emopia_lightning — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two cores: idle OpenMP threads must not spin while another process works.
export OMP_WAIT_POLICY ?= PASSIVE
export WANDB_MODE ?= offline

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# PyTorch's build, chosen on purpose: PyTorch's CPU wheel index where there is no NVIDIA GPU (its
# 2.13.0+cpu outranks PyPI's CUDA 2.13.0), PyPI's CUDA build where nvidia-smi runs. Override, e.g.
# `make install TORCH_INDEX=https://download.pytorch.org/whl/cu126`, or TORCH_INDEX= for pip's choice.
TORCH_INDEX ?= $(if $(shell command -v nvidia-smi 2>/dev/null),,https://download.pytorch.org/whl/cpu)

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, from the index chosen above; the pin in pyproject then keeps it. (One retry: an
	# index this machine cannot reach costs seconds, and a wheel on local disk still serves.)
	$(BIN)/pip install --quiet --retries 1 "torch==2.13.0" $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e ".[dev]"
	# WAV on any machine: TinySoundFont's wheel declares pyaudio for live playback only (never used
	# here; it needs PortAudio's headers to build), so it is installed without it (render/audio.py).
	$(BIN)/pip install --quiet --no-deps "tinysoundfont==0.3.7"
	touch $@

install: $(BIN)/.installed ## create .venv and install the project (CPU torch without an NVIDIA GPU, else CUDA; TORCH_INDEX= overrides)

run: install ## the main job: train the emotion-conditioned Transformer composer (CPU-sized), one 16-bar piece per emotion, and how well a judge hears the emotion
	$(BIN)/python -m emopia_lightning.train model=transformer_composer hydra.run.dir=outputs/demo/train
	$(BIN)/python -m emopia_lightning.generate ckpt=outputs/demo/train emotion=all n=1 bars=16 out=outputs/demo/generated
	$(BIN)/python -m emopia_lightning.evaluate_generator ckpt=outputs/demo/train fast=true n=100 pieces.n=0 hydra.run.dir=outputs/demo/judged

musegan: install ## the owner's card: train the label-conditioned MuseGAN (CPU-sized, 8-13 min on 2 cores) into outputs/musegan; make serve offers it beside make run's composer
	$(BIN)/python -m emopia_lightning.train model=musegan label_aug=true hydra.run.dir=outputs/musegan

serve: install ## the creator's page on http://127.0.0.1:7860: compose for an emotion, hear and download it; read a MIDI file's emotion (make classify's model if made; trains make run's composer first if missing; offers make musegan's too)
	$(BIN)/python -m emopia_lightning.app $(SERVE_ARGS)

classify: install ## the best emotion classifier by song-grouped CV (stacking of forest, SVM and logistic regression on expert, harmony and performance features): song-grouped 10-fold CV and the official test split, then the model file and the predict line to use it
	$(BIN)/python -m emopia_lightning.classical model=stacking features=rich 'cv=[grouped,official]' hydra.run.dir=outputs/classify

audio-tools: ## optional: FluidSynth and a 6 MB GM soundfont (Debian/Ubuntu, root) instead of TinySoundFont for WAV
	apt-get install -y --no-install-recommends fluidsynth timgm6mb-soundfont

test: install ## the test suite CI runs (real EMOPIA clips from ../shared or EMOPIA_ROOT), the scale-out tests included; not the slow ones
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-scaleout: install ## the scale-out tests alone: submitit, DDP over gloo, Optuna, the label-ablation multirun (part of make test)
	$(BIN)/python -m pytest -m scaleout

test-slow: install ## the slow checks only (the README's testing section says which and why)
	$(BIN)/python -m pytest -m slow

bench: install ## benchmarks: parse/roll speed cold and cached, classifier training throughput, GAN and Transformer composer speed
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_classifier.py model=lstm
	$(BIN)/python benchmarks/bench_classifier.py model=short_chunk_cnn
	$(BIN)/python benchmarks/bench_musegan.py --threads 1
	$(BIN)/python benchmarks/bench_lightning_overhead.py
	$(BIN)/python benchmarks/bench_composer.py
	$(BIN)/python benchmarks/bench_app_load.py

bench-quick: install ## every benchmark at a tiny size, to show each still runs (CI; the figures mean nothing)
	$(BIN)/python benchmarks/bench_data.py --quick
	$(BIN)/python benchmarks/bench_classifier.py --quick model=lstm
	$(BIN)/python benchmarks/bench_classifier.py --quick model=short_chunk_cnn
	$(BIN)/python benchmarks/bench_musegan.py --quick --threads 1
	$(BIN)/python benchmarks/bench_lightning_overhead.py --quick
	$(BIN)/python benchmarks/bench_composer.py --quick
	$(BIN)/python benchmarks/bench_app_load.py --quick

musegan-report: install ## one report-scale MuseGAN run: 20k generator steps at batch 16
	$(BIN)/python -m emopia_lightning.train experiment=musegan_report hydra.run.dir=outputs/musegan_report

# Runs that the generation report needs; each is made once (metrics.json marks a finished run).
outputs/segment_judge/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train experiment=segment_judge hydra.run.dir=outputs/segment_judge callbacks.progress_bar.refresh_rate=0
outputs/musegan_report/2/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train -m experiment=musegan_report seed=0,1,2 hydra.sweep.dir=outputs/musegan_report callbacks.progress_bar.refresh_rate=0
outputs/musegan_no_labels/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train experiment=musegan_report label_aug=false hydra.run.dir=outputs/musegan_no_labels callbacks.progress_bar.refresh_rate=0

REPORT_CKPTS := outputs/musegan_report/0/checkpoints/last.ckpt,outputs/musegan_report/1/checkpoints/last.ckpt,outputs/musegan_report/2/checkpoints/last.ckpt
generation-report: outputs/segment_judge/metrics.json outputs/musegan_report/2/metrics.json outputs/musegan_no_labels/metrics.json ## judge and measure the report-scale generators, 3 seeds, with two judges (trains what is missing first: ~1.5 h on 2 cores)
	$(BIN)/python -m emopia_lightning.evaluate_generator -m ckpt=$(REPORT_CKPTS) ablation_ckpt=outputs/musegan_no_labels/checkpoints/last.ckpt hydra.sweep.dir=experiments/generation_eval 'clips_dir=outputs/generation_eval_clips/$${hydra:job.num}'
	for judge in features cnn; do $(BIN)/python -m emopia_lightning.summarize experiments/generation_eval --group --metrics $$judge/generated/acc $$judge/generated/arousal $$judge/generated/valence $$judge/generated/Q1 $$judge/generated/Q2 $$judge/generated/Q3 $$judge/generated/Q4 $$judge/real/acc $$judge/real/arousal $$judge/ablation/acc agreement/generated sparse_bars/generated --out experiments/generation_eval/summary_$$judge.md; done

# The README's side-by-side table at main-job size: both composers, seeds 0-2, each one's label_aug=false
# ablation, two judges, then a velocity-free feature judge (about 80 min on 2 cores; each run is made once).
COMPARE := outputs/compare
$(COMPARE)/transformer/2/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train -m model=transformer_composer seed=0,1,2 logger=csv hydra.sweep.dir=$(COMPARE)/transformer callbacks.progress_bar.refresh_rate=0
$(COMPARE)/musegan/2/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train -m model=musegan seed=0,1,2 logger=csv hydra.sweep.dir=$(COMPARE)/musegan callbacks.progress_bar.refresh_rate=0
$(COMPARE)/%_no_labels/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train model=$(if $(findstring transformer,$*),transformer_composer,musegan) label_aug=false logger=csv hydra.run.dir=$(COMPARE)/$*_no_labels callbacks.progress_bar.refresh_rate=0
composer-comparison: outputs/segment_judge/metrics.json $(COMPARE)/transformer/2/metrics.json $(COMPARE)/musegan/2/metrics.json $(COMPARE)/transformer_no_labels/metrics.json $(COMPARE)/musegan_no_labels/metrics.json ## the side-by-side table of the Transformer composer and the MuseGAN at main-job size (3 seeds, ablations, two judges, and a velocity-free judge)
	for composer in transformer musegan; do \
	  seeds=$(COMPARE)/$$composer/0,$(COMPARE)/$$composer/1,$(COMPARE)/$$composer/2; \
	  $(BIN)/python -m emopia_lightning.evaluate_generator -m ckpt=$$seeds ablation_ckpt=$(COMPARE)/$${composer}_no_labels write_clips=false hydra.sweep.dir=experiments/composer_comparison/$$composer; \
	  $(BIN)/python -m emopia_lightning.evaluate_generator -m ckpt=$$seeds fast=true n=100 pieces.n=0 +feature_judge.velocity=false hydra.sweep.dir=experiments/composer_velocity_free/$$composer; \
	done
	$(BIN)/python experiments/composer_comparison.py experiments/composer_comparison
	$(BIN)/python experiments/composer_comparison.py experiments/composer_velocity_free

# The same at report size, the Transformer only: experiment=transformer_report (3,000 steps) for seeds
# 0-2 and label_aug=false, judged as above (about 2.5 h on 2 cores; each run is made once).
REPORT := outputs/report
$(REPORT)/transformer/2/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train -m experiment=transformer_report seed=0,1,2 logger=csv hydra.sweep.dir=$(REPORT)/transformer callbacks.progress_bar.refresh_rate=0
$(REPORT)/transformer_no_labels/metrics.json: | install
	$(BIN)/python -m emopia_lightning.train experiment=transformer_report label_aug=false logger=csv hydra.run.dir=$(REPORT)/transformer_no_labels callbacks.progress_bar.refresh_rate=0
transformer-report: outputs/segment_judge/metrics.json $(REPORT)/transformer/2/metrics.json $(REPORT)/transformer_no_labels/metrics.json ## the Transformer composer at report size: 3 seeds and its label_aug=false ablation, two judges and the velocity-free one (experiments/composer_report*.md)
	seeds=$(REPORT)/transformer/0,$(REPORT)/transformer/1,$(REPORT)/transformer/2; \
	$(BIN)/python -m emopia_lightning.evaluate_generator -m ckpt=$$seeds ablation_ckpt=$(REPORT)/transformer_no_labels write_clips=false hydra.sweep.dir=experiments/composer_report/transformer; \
	$(BIN)/python -m emopia_lightning.evaluate_generator -m ckpt=$$seeds fast=true n=100 pieces.n=0 +feature_judge.velocity=false hydra.sweep.dir=experiments/composer_report_velocity_free/transformer
	$(BIN)/python experiments/composer_comparison.py experiments/composer_report
	$(BIN)/python experiments/composer_comparison.py experiments/composer_report_velocity_free

lstm-results: install ## the README's LSTM table: official split, 3 tasks x 3 seeds, then the summary
	$(BIN)/python -m emopia_lightning.train -m experiment=lstm_official task=quadrant,arousal,valence seed=0,1,2 hydra.sweep.dir=outputs/lstm_official
	$(BIN)/python -m emopia_lightning.summarize outputs/lstm_official --group task --metrics test/acc test/f1 --out experiments/lstm_official.md

cnn-results: install ## ShortChunkCNN_Res on the official split, 3 seeds, then the summary
	$(BIN)/python -m emopia_lightning.train -m experiment=short_chunk_cnn_official seed=0,1,2 hydra.sweep.dir=outputs/cnn_official
	$(BIN)/python -m emopia_lightning.summarize outputs/cnn_official --group task --metrics test/acc test/f1 val/acc train_eval/acc --out experiments/cnn_official.md

table2: install ## the report's Table 2 (LSTM and ShortChunkCNN_Res, random split, train + test accuracy), 3 seeds each
	$(BIN)/python -m emopia_lightning.train -m experiment=table2_lstm seed=0,1,2 hydra.sweep.dir=outputs/table2_lstm callbacks.progress_bar.refresh_rate=0
	$(BIN)/python -m emopia_lightning.train -m experiment=table2_short_chunk_cnn seed=0,1,2 hydra.sweep.dir=outputs/table2_short_chunk_cnn callbacks.progress_bar.refresh_rate=0
	$(BIN)/python -m emopia_lightning.summarize outputs/table2_lstm --group experiment --metrics test/acc test/f1 val/acc train_eval/acc --out experiments/table2_lstm.md
	$(BIN)/python -m emopia_lightning.summarize outputs/table2_short_chunk_cnn --group experiment --metrics test/acc test/f1 val/acc train_eval/acc --out experiments/table2_short_chunk_cnn.md

cnn-kfold: install ## ShortChunkCNN_Res, song-grouped 5-fold CV x seeds 0,1,2 (15 runs, ~2.5 h on 2 cores), then the summary
	$(BIN)/python -m emopia_lightning.train -m experiment=short_chunk_cnn_official split=kfold split.n_folds=5 split.fold=0,1,2,3,4 seed=0,1,2 hydra.sweep.dir=outputs/cnn_kfold callbacks.progress_bar.refresh_rate=0
	$(BIN)/python -m emopia_lightning.summarize outputs/cnn_kfold --group seed --metrics test/acc test/f1 val/acc --out experiments/cnn_kfold.md

table1: install ## the report's Table 1 (4 classical models x random CV, song-grouped CV, official test), then with expert features
	$(BIN)/python -m emopia_lightning.classical --config-name table1
	$(BIN)/python -m emopia_lightning.classical --config-name table1 features=expert 'out_dir=$${paths.root_dir}/experiments/table1_expert'

clean: ## remove run outputs and the roll cache (not the venv)
	rm -rf outputs multirun .cache

.PHONY: help install run serve classify audio-tools musegan-report generation-report table2 cnn-kfold test test-scaleout test-slow bench bench-quick lstm-results transformer-report composer-comparison cnn-results table1 clean

"""What the run's data held: ``output_dir/data_report.json`` and the W&B run's summary.

Every MIDI file of the corpus is named once: read, repaired (with what), or skipped (with why),
with counts per reason (``ClipCorpus.data_report``). Written once the data module is set up.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger

log = logging.getLogger(__name__)


class DataReport(pl.Callback):
    def __init__(self, output_dir: str):
        self.path = Path(output_dir) / "data_report.json"
        self.written = False

    def setup(self, trainer: pl.Trainer, pl_module, stage: str) -> None:
        corpus = getattr(trainer.datamodule, "corpus", None)
        if corpus is None or not trainer.is_global_zero or self.written:
            return
        self.written = True  # once per process: fit, then validate and test, read the same data
        report = corpus.data_report()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(report, indent=2) + "\n")
        log.info(
            "Data: %d files, %d read (%d repaired), %d skipped: %s",
            report["files"], report["read"], len(report["repaired"]), len(report["skipped"]), self.path,
        )  # fmt: skip
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                counts = {"files": report["files"], "read": report["read"], "repaired": len(report["repaired"]),
                          "skipped": len(report["skipped"]), **report["skip_reasons"]}  # fmt: skip
                logger.experiment.summary.update({f"data/{k}": v for k, v in counts.items()})
                logger.experiment.save(str(self.path), base_path=str(self.path.parent), policy="now")

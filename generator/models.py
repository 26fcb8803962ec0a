"""The ECG store: every ECG the platform can show, real or synthetic, with provenance."""

from __future__ import annotations

import numpy as np
from django.db import models

from generator.core.realism import unknown_generator_training
from generator.core.record_files import MAX_ID_LENGTH
from generator.core.signal_codec import decode_signal


class ECGQuerySet(models.QuerySet):
    def real(self) -> ECGQuerySet:
        return self.filter(source=ECG.Source.REAL)

    def synthetic(self) -> ECGQuerySet:
        return self.filter(source=ECG.Source.SYNTHETIC)

    def without_signal(self) -> ECGQuerySet:
        """Skip loading the signal bytes (listing, matching)."""
        return self.defer("signal_blob")


class ECG(models.Model):
    """One 12-lead ECG in standard lead order (I, II, III, aVR, aVL, aVF, V1-V6), in mV.

    Provenance fields are for researchers only; nothing here is ever shown to readers.
    """

    class Source(models.TextChoices):
        REAL = "real", "real"
        SYNTHETIC = "synthetic", "synthetic"

    source = models.CharField(max_length=10, choices=Source.choices, db_index=True)
    origin = models.CharField(
        max_length=100, db_index=True, help_text="ptbxl, ptb-diagnostic, an array set, a generator"
    )
    source_key = models.CharField(
        max_length=255, unique=True, help_text="identity of the input; re-imports skip it"
    )
    sampling_rate = models.FloatField()
    n_samples = models.PositiveIntegerField()
    signal_blob = models.BinaryField()
    signal_sha256 = models.CharField(max_length=64)

    scp_codes = models.JSONField(default=dict, blank=True, help_text="SCP code -> likelihood (%)")
    superclasses = models.JSONField(default=list, blank=True)
    label_set = models.CharField(
        max_length=512, blank=True, db_index=True, help_text="sorted SCP codes joined by '_'"
    )

    dataset_ecg_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    patient_id = models.PositiveIntegerField(null=True, blank=True)
    strat_fold = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)

    generator_name = models.CharField(max_length=100, blank=True)
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    sampler_settings = models.JSONField(default=dict, blank=True)
    conditioning_labels = models.JSONField(default=list, blank=True)
    provenance = models.JSONField(
        default=dict, blank=True, help_text="anything else the input said"
    )
    sampling_job = models.ForeignKey(
        "SamplingJob", null=True, blank=True, on_delete=models.PROTECT, related_name="ecgs"
    )
    job_index = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ECGQuerySet.as_manager()

    class Meta:
        verbose_name = "ECG"
        ordering = ["id"]
        indexes = [models.Index(fields=["source", "origin", "label_set"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sampling_job", "job_index"], name="one_ecg_per_job_index"
            )
        ]

    def __str__(self) -> str:
        return f"ECG {self.pk} ({self.source}, {self.origin})"

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sampling_rate

    def signal(self) -> np.ndarray:
        """The stored signal (12, n_samples) float32 mV, checksum-verified."""
        return decode_signal(self.signal_blob, self.signal_sha256)


class SamplingJob(models.Model):
    """A request to generate N synthetic ECGs into the store, run in chunks by Celery.

    Sample ``i`` is always generated from the noise stream of (seed, i), so re-running a
    job after a killed worker fills in exactly the missing samples.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    backend = models.CharField(max_length=50, help_text="generator backend name")
    backend_options = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=100, help_text="origin written on each ECG")
    label_sets = models.JSONField(help_text="one list of SCP codes per sample")
    matched_ecg_ids = models.JSONField(
        default=list, blank=True, help_text="real ECG each sample copies the labels of"
    )
    seed = models.BigIntegerField()
    chunk_size = models.PositiveIntegerField(default=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)
    # The worker running a chunk holds a lease it renews while it works; a lease that runs
    # out means the worker died, and the job is queued again (tasks.requeue_expired_sampling_jobs).
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"sampling job {self.pk} ({self.backend}, {self.done}/{self.n})"

    @property
    def n(self) -> int:
        return len(self.label_sets)

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk_size)


class PrivacyScreen(models.Model):
    """One memorisation screen of a synthetic pool against the real training ECGs, with
    held-out real ECGs as the reference (``generator.core.privacy_screen``)."""

    synthetic_origin = models.CharField(max_length=100, db_index=True)
    real_origin = models.CharField(max_length=100)
    training_folds = models.JSONField(default=list)
    reference_folds = models.JSONField(default=list)
    sampling_rate = models.FloatField()
    copy_threshold = models.FloatField(help_text="reference DCR 1st percentile")
    share_threshold = models.FloatField(help_text="reference DCR 5th percentile")
    # Where each set came from: {"kind": "store", "origin", "folds"} or {"kind": "file",
    # "path", "sha256", "rows", "sampling_rate", "lead_order"} (empty for older screens).
    training_source = models.JSONField(default=dict, blank=True)
    reference_source = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"privacy screen {self.pk} ({self.synthetic_origin})"


class ScreenedECG(models.Model):
    """One synthetic ECG's result in a privacy screen: its closest training record."""

    screen = models.ForeignKey(PrivacyScreen, on_delete=models.CASCADE, related_name="results")
    ecg = models.ForeignKey(ECG, on_delete=models.CASCADE, related_name="privacy_results")
    # Kept when the training record is deleted (e.g. a patient withdraws): the synthetic
    # ECG stays flagged as its copy.
    nearest = models.ForeignKey(ECG, null=True, on_delete=models.SET_NULL, related_name="+")
    nearest_key = models.CharField(
        max_length=MAX_ID_LENGTH,
        blank=True,
        help_text="the nearest record's id in a supplied training file",
    )
    dcr = models.FloatField(help_text="distance to the closest training record")
    nndr = models.FloatField(help_text="nearest / second-nearest distance")
    shift_ms = models.FloatField()
    lead_distances = models.JSONField(default=list)
    flagged = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["dcr"]
        constraints = [
            models.UniqueConstraint(fields=["screen", "ecg"], name="one_result_per_screened_ecg")
        ]

    def __str__(self) -> str:
        return f"ECG {self.ecg_id} in screen {self.screen_id}: DCR {self.dcr:.4f}"


class RealismEvaluation(models.Model):
    """Machine realism of one generator's synthetic pool (``generator.core.realism``): the
    superclass classifier's TSTR, TRTS and TRTR metrics (macro and per class)."""

    synthetic_origin = models.CharField(max_length=100, db_index=True)
    generator_name = models.CharField(
        max_length=100, blank=True, help_text="the pool's generator, when it has one name"
    )
    checkpoint_sha256 = models.CharField(
        max_length=64, blank=True, help_text="the pool's checkpoint, when it has one"
    )
    real_origin = models.CharField(max_length=100)
    train_folds = models.JSONField(default=list)
    test_folds = models.JSONField(default=list)
    sampling_rate = models.FloatField()
    settings = models.JSONField(default=dict, help_text="classifier configuration and training")
    metrics = models.JSONField(default=dict, help_text="tstr, trts and trtr")
    classifier_files = models.JSONField(
        default=dict, blank=True, help_text="saved classifiers: kind -> path and SHA-256"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"realism evaluation {self.pk} ({self.synthetic_origin})"

    @property
    def generator_key(self) -> str:
        """The name reports give the pool's generator (as the judgments frame does)."""
        return self.generator_name or self.synthetic_origin

    @property
    def tstr_auc(self) -> float:
        return self.metrics["tstr"]["macro"]["auc"]

    @property
    def generator_training(self) -> dict:
        """The generator's training folds and how they are known
        (``generator.realism.generator_training``); unknown for older evaluations."""
        recorded = self.settings.get("generator_training")
        if not recorded:
            return {
                **unknown_generator_training(),
                "warning": "the generator's training folds were not checked (an older evaluation)",
            }
        return {**unknown_generator_training(), **recorded}

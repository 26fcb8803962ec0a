"""The one validation entry point for a reader's answer, used by forms, the API and services."""

from __future__ import annotations

from dataclasses import dataclass

from assessment.errors import AnswerError

CONFIDENCE_SCALE = (1, 6)
REASON_MAX_CHARS = 2000
PAIRED_ANSWERS = ("top", "bottom")
SINGLE_ANSWERS = ("real", "synthetic")


@dataclass(frozen=True)
class AnswerRules:
    """What an item asks, from its study and phase."""

    paired: bool
    phase: str
    ask_confidence: bool
    ask_label_consistency: bool
    ask_reason: bool
    quality_scale_max: int

    @property
    def asks_source(self) -> bool:
        return self.phase != "unaware"

    @property
    def choices(self) -> tuple[str, ...]:
        if not self.asks_source:
            return ()
        return PAIRED_ANSWERS if self.paired else SINGLE_ANSWERS

    @property
    def asks_confidence(self) -> bool:
        return self.asks_source and self.ask_confidence

    @property
    def asks_label_consistency(self) -> bool:
        return self.ask_label_consistency or not self.asks_source

    @property
    def asks_quality(self) -> bool:
        return not self.asks_source

    @property
    def asks_reason(self) -> bool:
        return self.asks_source and self.ask_reason


@dataclass(frozen=True)
class Answer:
    """A validated answer."""

    answer: str
    confidence: int | None
    label_consistent: bool | None
    quality: int | None
    reason: str


def validate_answer(
    rules: AnswerRules,
    *,
    answer: str | None,
    confidence: int | None = None,
    label_consistent: bool | None = None,
    quality: int | None = None,
    reason: str | None = None,
) -> Answer:
    """Check an answer against the item's rules; raises :class:`AnswerError` naming the field."""
    answer = answer or ""
    if rules.asks_source and answer not in rules.choices:
        raise AnswerError("answer", f"choose one of {', '.join(rules.choices)}")
    if not rules.asks_source and answer:
        raise AnswerError("answer", "this item does not ask for an answer")
    confidence = _scale("confidence", confidence, CONFIDENCE_SCALE, rules.asks_confidence)
    quality = _scale("quality", quality, (1, rules.quality_scale_max), rules.asks_quality)
    if rules.asks_label_consistency and label_consistent is None:
        raise AnswerError("label_consistent", "answer whether the ECG fits the labels")
    if not rules.asks_label_consistency and label_consistent is not None:
        raise AnswerError("label_consistent", "this item does not ask about the labels")
    reason = (reason or "").strip()
    if reason and not rules.asks_reason:
        raise AnswerError("reason", "this item does not ask for a reason")
    if len(reason) > REASON_MAX_CHARS:
        raise AnswerError("reason", f"keep the reason under {REASON_MAX_CHARS} characters")
    return Answer(answer, confidence, label_consistent, quality, reason)


def _scale(name: str, value: int | None, bounds: tuple[int, int], asked: bool) -> int | None:
    if not asked:
        if value is not None:
            raise AnswerError(name, f"this item does not ask for {name}")
        return None
    low, high = bounds
    if value is None:
        raise AnswerError(name, f"choose a {name} from {low} to {high}")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AnswerError(name, f"{name} must be a whole number from {low} to {high}")
    return value

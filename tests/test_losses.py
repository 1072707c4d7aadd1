"""Soft-encoding, class rebalancing and annealed-mean decoding on known cases."""

import numpy as np
import pytest
import tensorflow as tf

from colorize_model import ab_grid
from colorize_model.architectures.unet import AnnealedMeanBlend
from colorize_model.lab import AB_SCALE
from training.losses import NEIGHBOURS, HybridLoss, rebalance_weights, soft_encode

CENTRES = tf.constant(ab_grid.BIN_CENTRES, tf.float32)


def test_soft_encoding_on_a_bin_centre():
    q = 37
    weights = soft_encode(CENTRES[q][None], CENTRES).numpy()[0]
    assert weights.argmax() == q
    assert weights.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.count_nonzero(weights > 1e-6) == NEIGHBOURS
    # the four grid neighbours are 10 away: exp(-100 / 50) relative to the centre
    neighbours = np.sort(weights)[-5:-1]
    assert neighbours == pytest.approx(weights[q] * np.exp(-100 / 50), rel=1e-4)


def test_soft_encoding_between_two_bins_splits_evenly():
    a, b = ab_grid.BIN_CENTRES[100], ab_grid.BIN_CENTRES[101]
    assert np.abs(a - b).sum() == 10  # neighbours on the grid
    weights = soft_encode(tf.constant([(a + b) / 2]), CENTRES).numpy()[0]
    assert weights[100] == pytest.approx(weights[101], rel=1e-5)
    assert weights[100] == weights.max()


def test_rebalancing_weights():
    prior = np.array([0.7, 0.2, 0.1, 0.0])
    w = rebalance_weights(prior, smoothing=0.5)
    assert np.sum(prior * w) == pytest.approx(1.0)
    assert w[0] < w[1] < w[2] < w[3]
    assert np.allclose(rebalance_weights(prior, smoothing=1.0), 1.0)  # lambda = 1: no rebalancing


def test_annealed_mean_decoding():
    q, n = 12, len(ab_grid.BIN_CENTRES)
    confident = np.full((1, 1, 1, n), -20.0, np.float32)
    confident[..., q] = 20.0
    decode = AnnealedMeanBlend(temperature=0.38, mix=1.0)
    out = decode(confident, np.zeros((1, 1, 1, 2), np.float32)).numpy()[0, 0, 0]
    assert out * AB_SCALE == pytest.approx(ab_grid.BIN_CENTRES[q], abs=1e-3)
    uniform = decode(np.zeros((1, 1, 1, n), np.float32), np.zeros((1, 1, 1, 2), np.float32)).numpy()
    assert uniform[0, 0, 0] * AB_SCALE == pytest.approx(ab_grid.BIN_CENTRES.mean(axis=0), abs=1e-3)
    # two equal modes: T -> 0 keeps their mean, the regression output enters by `mix`
    two = np.full((1, 1, 1, n), -20.0, np.float32)
    two[..., [3, 200]] = 5.0
    regressed = np.full((1, 1, 1, 2), 0.5, np.float32)
    half = AnnealedMeanBlend(temperature=0.1, mix=0.5)(two, regressed).numpy()[0, 0, 0]
    expected = 0.5 * (ab_grid.BIN_CENTRES[[3, 200]].mean(axis=0) / AB_SCALE) + 0.5 * 0.5
    assert half == pytest.approx(expected, abs=1e-4)


def test_hybrid_loss_prefers_the_right_colour():
    loss = HybridLoss()
    target = np.zeros((1, 8, 8, 2), np.float32)
    target[..., 0] = 60 / AB_SCALE  # a red-ish patch
    right = np.full((1, 2, 2, len(ab_grid.BIN_CENTRES)), -5.0, np.float32)
    right[..., int(np.argmin(np.abs(ab_grid.BIN_CENTRES - [60, 0]).sum(axis=1)))] = 5.0
    wrong = np.roll(right, 50, axis=-1)
    ab = np.zeros((1, 2, 2, 2), np.float32)
    good = loss(tf.constant(target), {"logits": tf.constant(right), "ab": tf.constant(ab)})["loss"]
    bad = loss(tf.constant(target), {"logits": tf.constant(wrong), "ab": tf.constant(ab)})["loss"]
    assert float(good) < float(bad)


def test_decoded_term_scores_the_blend_users_see():
    decode = {"temperature": 0.2, "mix": 0.4}
    loss = HybridLoss(decoded_weight=10.0, decode=decode)
    rng = np.random.default_rng(1)
    target = tf.constant(rng.uniform(-0.4, 0.4, (1, 8, 8, 2)).astype(np.float32))
    logits = rng.normal(0, 2, (1, 8, 8, len(ab_grid.BIN_CENTRES))).astype(np.float32)
    ab = rng.uniform(-0.4, 0.4, (1, 8, 8, 2)).astype(np.float32)
    terms = loss(target, {"logits": tf.constant(logits), "ab": tf.constant(ab)})
    decoded = AnnealedMeanBlend(**decode)(logits, ab).numpy()
    distance = np.sqrt(np.square(target.numpy() - decoded).sum(axis=-1)).mean()
    assert float(terms["decoded"]) == pytest.approx(distance, rel=1e-3)
    plain = HybridLoss()(target, {"logits": tf.constant(logits), "ab": tf.constant(ab)})
    assert "decoded" not in plain
    assert float(terms["loss"]) == pytest.approx(float(plain["loss"]) + 10.0 * distance, rel=1e-4)
    # a blend that is the target (all regression) costs next to nothing
    exact = HybridLoss(decoded_weight=1.0, decode={"temperature": 0.2, "mix": 0.0})
    assert float(exact(target, {"logits": tf.constant(logits), "ab": target})["decoded"]) < 2e-3


def test_decoded_term_needs_decode_settings():
    with pytest.raises(ValueError, match="decode"):
        HybridLoss(decoded_weight=1.0)


def test_teacher_outputs_are_the_targets_of_its_crops():
    """Crops marked for the teacher are scored against its outputs, not the ground truth; the others
    against the ground truth."""
    decode = {"temperature": 0.2, "mix": 0.4}
    loss = HybridLoss(decoded_weight=10.0, decode=decode)
    rng = np.random.default_rng(2)
    bins = len(ab_grid.BIN_CENTRES)
    target = rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32)
    student = {"logits": tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32)),
               "ab": tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))}
    teacher = {"logits": tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32)),
               "ab": tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32)),
               "crops": tf.constant([True, False])}

    def total(truth, outputs=student):
        return float(loss(tf.constant(truth), outputs, teacher)["loss"])

    moved_first, moved_second = target.copy(), target.copy()
    moved_first[0] += 0.3
    moved_second[1] += 0.3
    assert total(moved_first) == pytest.approx(total(target), rel=1e-6)  # the teacher's crop ignores the truth
    assert total(moved_second) != pytest.approx(total(target), rel=1e-3)
    # a student that is the teacher on its crop loses less than one that is not
    like_teacher = {name: tf.concat([teacher[name][:1], student[name][1:]], axis=0) for name in ("logits", "ab")}
    assert total(target, like_teacher) < total(target)
    def plain(truth):  # without a teacher, both crops follow the truth
        return float(loss(tf.constant(truth), student)["loss"])

    assert plain(moved_first) != pytest.approx(plain(target), rel=1e-3)


def test_the_teachers_crops_can_weigh_every_pixel_alike():
    """rebalance_teacher=False: on the teacher's crops the classification is the plain soft cross-entropy
    (every pixel weight 1); the other crops keep their rebalancing."""
    rng = np.random.default_rng(4)
    bins = len(ab_grid.BIN_CENTRES)
    target = tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))
    student = {"logits": tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32)),
               "ab": tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))}
    teacher_logits = tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32))
    teacher = {"logits": teacher_logits, "ab": student["ab"], "crops": tf.constant([True, True])}
    plain = -tf.reduce_sum(tf.nn.softmax(teacher_logits) * tf.nn.log_softmax(student["logits"]), axis=-1)
    unweighted = HybridLoss(rebalance_teacher=False)(target, student, teacher)["classification"]
    weighted = HybridLoss()(target, student, teacher)["classification"]
    assert float(unweighted) == pytest.approx(float(tf.reduce_mean(plain)), rel=1e-5)
    assert float(weighted) != pytest.approx(float(unweighted), rel=1e-3)
    no_teacher = {**teacher, "crops": tf.constant([False, False])}
    assert float(HybridLoss(rebalance_teacher=False)(target, student, no_teacher)["classification"]) == \
        pytest.approx(float(HybridLoss()(target, student, no_teacher)["classification"]), rel=1e-6)


def test_the_teachers_crops_can_weigh_more():
    """teacher_weight scales every term of the teacher's crops and leaves the others as they were."""
    decode = {"temperature": 0.2, "mix": 0.4}
    rng = np.random.default_rng(5)
    bins = len(ab_grid.BIN_CENTRES)
    target = tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))
    student = {"logits": tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32)),
               "ab": tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))}
    teacher = {"logits": tf.constant(rng.normal(0, 2, (2, 8, 8, bins)).astype(np.float32)),
               "ab": tf.constant(rng.uniform(-0.4, 0.4, (2, 8, 8, 2)).astype(np.float32))}

    def terms(weight, crops):
        loss = HybridLoss(decoded_weight=10.0, decode=decode, teacher_weight=weight)
        return {name: float(value) for name, value in
                loss(target, student, {**teacher, "crops": tf.constant(crops)}).items()}

    for name, value in terms(3.0, [True, True]).items():
        assert value == pytest.approx(3.0 * terms(1.0, [True, True])[name], rel=1e-5)
    assert terms(3.0, [False, False]) == pytest.approx(terms(1.0, [False, False]), rel=1e-6)
    mixed = {weight: terms(weight, [True, False]) for weight in (0.0, 1.0, 3.0)}
    assert mixed[0.0]["loss"] < mixed[1.0]["loss"]  # weight 0: the teacher's crop counts for nothing
    assert mixed[3.0]["loss"] == pytest.approx(mixed[1.0]["loss"] + 2 * (mixed[1.0]["loss"] - mixed[0.0]["loss"]),
                                               rel=1e-5)  # and each unit of weight adds its share once more

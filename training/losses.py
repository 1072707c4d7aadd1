"""Losses: the seed's plain MSE, and the hybrid classification + regression loss.

The hybrid loss follows Zhang et al. 2016 for the classifier: targets
soft-encoded on the 5 nearest in-gamut ab bins (Gaussian, sigma 5), each pixel
weighted by the inverse of a smoothed prior of its colour (lambda 0.5) so
rare, saturated colours are not drowned out by gray-brown. A Huber regression
of ab rides along to keep the safe average available for decoding.

Neither term scores what users see: the decoded blend of both heads. An
optional third term (``decoded_weight``) does, as the ab distance of the
decoded output (Euclidean, not squared, so an unsure pixel is pulled toward
the most likely colour rather than toward the desaturating mean).

A hint model trained on from the default drifts in its automatic mode: the
rebalanced classifier keeps growing more colourful and less accurate (on 150
validation photos, 8,000 steps on: ΔE2000 9.33 -> 9.97, colourfulness 0.42 ->
0.55), while its hints get better. A ``teacher`` (the default it started from)
holds the automatic mode: for crops without hints its outputs are the
targets, so the student learns hints and keeps the teacher's automatic colours.
"""

from __future__ import annotations

import numpy as np
import keras
import tensorflow as tf

from colorize_model import ab_grid
from colorize_model.architectures.unet import AnnealedMeanBlend
from colorize_model.lab import AB_SCALE

NEIGHBOURS = 5
SIGMA = 5.0


def rebalance_weights(prior: np.ndarray, smoothing: float = 0.5) -> np.ndarray:
    """Per-class weights ((1-lambda) p + lambda/Q)^-1, scaled so E_p[w] = 1."""
    p = prior / prior.sum()
    w = 1.0 / ((1.0 - smoothing) * p + smoothing / len(p))
    return (w / np.sum(p * w)).astype(np.float32)


def soft_encode(ab: tf.Tensor, centres: tf.Tensor) -> tf.Tensor:
    """ab (..., 2) in Lab units -> (..., Q) Gaussian weights on the nearest bins."""
    d2 = tf.reduce_sum(tf.square(ab[..., None, :] - centres), axis=-1)
    neg_d2, index = tf.math.top_k(-d2, k=NEIGHBOURS)
    weights = tf.nn.softmax(neg_d2 / (2.0 * SIGMA ** 2), axis=-1)
    return tf.reduce_sum(tf.one_hot(index, tf.shape(centres)[0]) * weights[..., None], axis=-2)


class HybridLoss:
    """Rebalanced soft cross-entropy on logits plus weighted Huber on ab (plus, optionally,
    the distance of the decoded output, decoded with the model's settings ``decode``)."""

    def __init__(self, smoothing: float = 0.5, regression_weight: float = 50.0,
                 decoded_weight: float = 0.0, decode: dict | None = None, rebalance_teacher: bool = True,
                 teacher_weight: float = 1.0):
        in_gamut_prior = ab_grid.prior()[ab_grid.IN_GAMUT]
        self.centres = tf.constant(ab_grid.BIN_CENTRES, tf.float32)
        self.class_weights = tf.constant(rebalance_weights(in_gamut_prior + 1e-12, smoothing))
        self.regression_weight = regression_weight
        self.decoded_weight = decoded_weight
        # Rebalancing weighs a pixel by its target's rarity; a teacher's targets are mostly the common,
        # dull bins (mean weight 0.54 against 0.89 for photos: the default on 96 validation photos), so
        # its crops pull less than the hinted ones. False: the teacher's pixels all weigh 1.
        self.rebalance_teacher = rebalance_teacher
        # A student drifts from its teacher's automatic mode while it learns hints (validation-photo
        # ΔE2000 9.34 -> 9.62 in 3,000 steps from itself); a teacher's crop can weigh more than a hinted one.
        self.teacher_weight = teacher_weight
        if decoded_weight and not decode:
            raise ValueError("decoded_weight needs the model's decode settings (config 'decode')")
        self.blend = AnnealedMeanBlend(**decode) if decoded_weight else None

    def __call__(self, target_ab: tf.Tensor, outputs: dict, teacher: dict | None = None) -> dict:
        """The loss of ``outputs`` (logits, ab) against ground-truth ``target_ab`` (ab / 128); where
        ``teacher["crops"]`` (N,) is true, against the teacher's ``logits`` and ``ab`` instead."""
        logits, predicted_ab = outputs["logits"], outputs["ab"]
        size = tf.shape(logits)[1:3]
        target = tf.image.resize(target_ab, size, method="area")  # ab / 128 at the heads' scale
        soft = soft_encode(target * AB_SCALE, self.centres)
        decoded_target = target
        if teacher is not None:
            crops = teacher["crops"][:, None, None]  # (N, 1, 1): per crop
            teacher_logits, teacher_ab = (tf.cast(teacher[name], tf.float32) for name in ("logits", "ab"))
            soft = tf.where(crops[..., None], tf.nn.softmax(teacher_logits), soft)
            if self.blend is not None:
                decoded_target = tf.where(crops[..., None], self.blend(teacher_logits, teacher_ab), target)
            target = tf.where(crops[..., None], teacher_ab, target)
        pixel_weight = tf.gather(self.class_weights, tf.argmax(soft, axis=-1))
        crop_weight = 1.0
        if teacher is not None:
            if not self.rebalance_teacher:
                pixel_weight = tf.where(crops, 1.0, pixel_weight)
            crop_weight = tf.where(crops, self.teacher_weight, 1.0)
        cross_entropy = -tf.reduce_sum(soft * tf.nn.log_softmax(logits, axis=-1), axis=-1)
        classification = tf.reduce_mean(cross_entropy * pixel_weight * crop_weight)
        regression = tf.reduce_mean(keras.losses.huber(target, predicted_ab, delta=0.1) * crop_weight)
        total = classification + self.regression_weight * regression
        terms = {"classification": classification, "regression": regression}
        if self.decoded_weight:
            error = decoded_target - self.blend(logits, predicted_ab)
            distance = tf.sqrt(tf.reduce_sum(tf.square(error), axis=-1) + 1e-6)
            terms["decoded"] = tf.reduce_mean(distance * crop_weight)
            total += self.decoded_weight * terms["decoded"]
        return {"loss": total, **terms}


def mse_loss(target_ab: tf.Tensor, predicted_ab: tf.Tensor) -> dict:
    """The original recipe: mean squared error on ab / 128."""
    return {"loss": tf.reduce_mean(tf.square(target_ab - tf.cast(predicted_ab, tf.float32)))}

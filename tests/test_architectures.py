"""The network definitions: the seed replica, layer by layer, and our own."""

import numpy as np
import pytest

from colorize_model import architectures

SEED_SHAPES = [
    (256, 256, 64), (128, 128, 64), (128, 128, 128), (64, 64, 128), (64, 64, 256), (32, 32, 256),
    (32, 32, 512), (32, 32, 512), (32, 32, 256), (32, 32, 128),
    (64, 64, 128), (64, 64, 64), (128, 128, 64), (128, 128, 32), (128, 128, 2), (256, 256, 2),
]


def test_seed_is_the_original_network():
    model = architectures.build("seed", 256)
    assert model.count_params() == 6_252_002
    assert model.input_shape == (None, 256, 256, 1)
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == SEED_SHAPES
    assert model.layers[-2].activation.__name__ == "tanh"


def test_unet_fits_the_cpu_budget():
    model = architectures.build("unet", 256)
    assert model.count_params() < 2_000_000
    assert tuple(model.output["ab"].shape) == (None, 64, 64, 2)
    output = model(np.zeros((1, 256, 256, 4), np.float32))
    assert np.all(np.abs(output["ab"].numpy()) <= 1.0)
    np.testing.assert_allclose(output["probabilities"].numpy().sum(axis=-1), 1.0, rtol=1e-5)


def test_training_and_inference_share_weights():
    network = architectures.build_for_training("unet", 64)
    assert set(network.output) == {"logits", "ab"}
    inference = architectures.for_inference("unet", network, temperature=0.38, mix=0.5)
    assert {id(w) for w in inference.weights} == {id(w) for w in network.weights}


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture"):
        architectures.build("nope")


def test_the_hint_branch_leaves_the_automatic_result_to_its_base():
    """unet_branch: without any hint the output is its frozen base's exactly, whatever the branch's
    weights; with hints the branch adds to it (once it has learnt anything: it starts at zero)."""
    network = architectures.build_for_training("unet_branch", 64)
    base = architectures.part_taking("unet_branch", network, "unet")
    assert not base.trainable and network.trainable_weights
    assert not {id(w) for w in network.trainable_weights} & {id(w) for w in base.weights}
    rng = np.random.default_rng(3)
    photo = np.zeros((1, 64, 64, 4), np.float32)
    photo[..., 0] = rng.uniform(0, 100, (64, 64))
    hinted = photo.copy()
    hinted[0, 20:24, 30:34, 1:] = (0.4, -0.2, 1.0)

    def outputs(model, inputs):
        return {name: value.numpy() for name, value in model(inputs).items() if name != "features"}

    for inputs in (photo, hinted):  # the branch's last layers start at zero
        for name, value in outputs(network, inputs).items():
            np.testing.assert_array_equal(value, outputs(base, inputs)[name])
    for weight in network.trainable_weights:
        weight.assign(rng.normal(0, 0.05, weight.shape))
    for name, value in outputs(network, photo).items():
        np.testing.assert_array_equal(value, outputs(base, photo)[name])
    assert np.abs(outputs(network, hinted)["ab"] - outputs(base, hinted)["ab"]).max() > 1e-3


def test_weights_go_only_where_they_fit():
    network = architectures.build_for_training("unet_branch", 64)
    assert architectures.part_taking("unet", network, "unet") is network
    with pytest.raises(ValueError, match="'seed' model's weights do not fit a 'unet_branch'"):
        architectures.part_taking("unet_branch", network, "seed")

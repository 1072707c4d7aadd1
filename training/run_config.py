"""Training configs (the YAML files of training/configs and a run's config.yaml), read and checked.

One reader for every command that takes a config, without TensorFlow (so a
quick command such as ``training.locality`` does not pay its start-up), and
with one-line errors naming the file: a config that is not YAML, not a
mapping, lacks what the command needs, or holds a share outside 0..1, a
count below 1, a learning rate that is not one (YAML reads ``1e-4``, without
a dot, as text) or a loss setting the loss does not have (or of the wrong
kind: ``rebalance_teacher: "no"`` would count as true) is refused before any
work starts, rather than failing with a traceback, or training silently on
something else, hours later.
"""

from __future__ import annotations

from pathlib import Path

import yaml

TRAINING = ("architecture", "data", "steps", "batch", "crop", "learning_rate")  # what a run needs
SHARES = ("no_hint_share", "hint_recolour")  # fractions of the crops
COUNTS = ("steps", "batch", "crop")  # whole numbers above 0


def _number(value: object, kinds: type | tuple = (int, float)) -> bool:
    return isinstance(value, kinds) and not isinstance(value, bool)  # YAML's true is no number


def _share(value: object) -> bool:
    return _number(value) and 0 <= value <= 1


def _weight(value: object) -> bool:
    return _number(value) and 0 <= value < float("inf")


RULES = {  # setting -> (test, what it must be)
    **{key: (_share, "is a share of the crops, from 0 to 1") for key in SHARES},
    **{key: (lambda v: _number(v, int) and v >= 1, "must be a whole number above 0") for key in COUNTS},
    "learning_rate": (lambda v: _number(v) and 0 < v < 1, "must be a number between 0 and 1"),
}
LOSS_RULES = {  # the hybrid loss's arguments (training/losses.py) -> (test, what it must be)
    "smoothing": (_share, "must be a number from 0 to 1"),
    **{key: (_weight, "must be a number from 0 up") for key in ("regression_weight", "decoded_weight",
                                                                 "teacher_weight")},
    "rebalance_teacher": (lambda v: isinstance(v, bool), "must be true or false"),
}


def read(path: str | Path, needs: tuple[str, ...] = TRAINING) -> dict:
    """The settings of the config at ``path``; ValueError, naming the file, for anything unusable."""
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ValueError(f"{path}: cannot read the config ({error.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not readable YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: not a training config (not a mapping of settings)")
    missing = [key for key in needs if key not in config]
    if missing:
        raise ValueError(f"{path}: not a training config (no {', '.join(repr(key) for key in missing)})")
    return check(config, str(path))


def check(config: dict, source: str = "config") -> dict:
    """``config`` if its settings agree with each other; ValueError naming ``source`` otherwise."""
    for key, (test, rule) in RULES.items():
        value = config.get(key)
        if value is not None and not test(value):
            raise ValueError(f"{source}: {key} {rule} (got {value!r})")
    loss_args = config.get("loss_args", {})
    if not isinstance(loss_args, dict):
        raise ValueError(f"{source}: loss_args must be a mapping of the loss's settings (got {loss_args!r})")
    for key, value in loss_args.items():
        if key not in LOSS_RULES:
            raise ValueError(f"{source}: loss_args has no setting {key!r} (known: {', '.join(LOSS_RULES)})")
        test, rule = LOSS_RULES[key]
        if not test(value):
            raise ValueError(f"{source}: loss_args {key} {rule} (got {value!r})")
    if loss_args.get("decoded_weight") and not config.get("decode"):
        raise ValueError(f"{source}: loss_args decoded_weight needs the model's decode settings ('decode')")
    if config.get("teacher") and not config.get("hints"):
        raise ValueError(f"{source}: a teacher holds a hint model's automatic mode: it needs 'hints: true'")
    return config

"""Training across devices with TensorFlow's own engine (the config's ``distribute``).

* ``mirrored``: every GPU of this machine (``tf.distribute.MirroredStrategy``);
  ``distribute_cpus: N`` splits the CPU into N logical devices instead, to try
  it, or test it, on a machine without GPUs.
* ``multi_worker``: several machines (``MultiWorkerMirroredStrategy``), each
  started with the same config and its own ``TF_CONFIG``.

The config's ``batch`` stays the global batch. Each worker reads its own
shard of the photos through its own input pipeline (batch / workers crops a
step), turns them into Lab and hints in numpy as a single-device run does
(that keeps the iterator checkpointable), and hands each of its replicas a
slice. Each replica's loss is divided by the number of replicas, as the
optimizer sums their gradients, and BatchNorm takes its statistics over the
global batch (synchronized), so a mirrored step is the single-device step on
the same global batch, up to float rounding. Without ``distribute`` nothing
changes: one device, TensorFlow's default strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

KINDS = ("mirrored", "multi_worker")


@dataclass(frozen=True)
class Placement:
    """The strategy, and where this process stands in it."""

    strategy: tf.distribute.Strategy
    workers: int = 1
    index: int = 0  # this worker; 0 is the chief, which alone logs and exports

    @property
    def distributed(self) -> bool:
        return self.replicas > 1

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    @property
    def chief(self) -> bool:
        return self.index == 0

    def worker_batch(self, batch: int) -> int:
        """This worker's share of the global batch, which must split evenly over the replicas."""
        if batch % self.replicas:
            raise ValueError(f"batch {batch} does not split over {self.replicas} replicas")
        return batch // self.workers

    def shard(self, by_source: dict[str, list[str]]) -> dict[str, list[str]]:
        """This worker's photos: every ``workers``-th of each source, so no two workers read the same."""
        if self.workers == 1:
            return by_source
        shards = {source: paths[self.index::self.workers] for source, paths in by_source.items()}
        return {source: paths for source, paths in shards.items() if paths}

    def split(self, batch: np.ndarray):
        """This worker's batch as one slice per local replica (as it is, with one replica)."""
        if not self.distributed:
            return batch
        local = self.replicas // self.workers
        if len(batch) % local:
            raise ValueError(f"a batch of {len(batch)} does not split over {local} replicas")
        size = len(batch) // local

        def slice_for(context: tf.distribute.experimental.ValueContext) -> tf.Tensor:
            start = context.replica_id_in_sync_group % local * size
            return tf.convert_to_tensor(batch[start:start + size])

        return self.strategy.experimental_distribute_values_from_function(slice_for)

    def agree(self, *flags: bool) -> list[bool]:
        """Each flag true on every worker if it is true on any (all save, export or stop at the
        same step: the others would wait forever in the next step's all-reduce)."""
        if self.workers == 1:
            return list(flags)
        return [bool(vote) for vote in self._vote(tf.constant([int(flag) for flag in flags])).numpy()]

    @tf.function
    def _vote(self, flags: tf.Tensor) -> tf.Tensor:
        votes = self.strategy.run(lambda: tf.identity(flags))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, votes, axis=None) > 0


def placement(config: dict) -> Placement:
    """The strategy the config asks for. Call it before anything else touches TensorFlow:
    logical devices and multi-worker collectives can only be set up first."""
    kind = config.get("distribute")
    if kind is None:
        return Placement(tf.distribute.get_strategy())
    if kind == "mirrored":
        cpus = config.get("distribute_cpus")
        if not cpus:
            return Placement(tf.distribute.MirroredStrategy())
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpus)
        return Placement(tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")]))
    if kind == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()  # the cluster and this task from TF_CONFIG
        resolver = strategy.cluster_resolver
        tasks = resolver.cluster_spec().as_dict()
        order = [(kind, i) for kind in ("chief", "worker") for i in range(len(tasks.get(kind, [])))]
        return Placement(strategy, len(order), order.index((resolver.task_type, resolver.task_id)))
    raise ValueError(f"distribute: {kind!r} is none of {', '.join(KINDS)}")


def synchronize_batch_norm(model: keras.Model) -> None:
    """BatchNorm statistics over the global batch, as on one device, not over each replica's slice."""
    pending = [model]
    while pending:
        layer = pending.pop()
        pending += getattr(layer, "layers", [])
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True

"""Wrong answers to module 05 and the points each must keep (unnamed cells keep full marks)."""

NOTEBOOK = "05-keras-distribution.ipynb"

SAMPLES = {
    "layout-key-matches-nothing": {
        "why": "LayoutMap keys without the model's name in front: they match no variable path, so "
               "every weight stays replicated, silently",
        "notebook": NOTEBOOK,
        "edits": {"layout-map": '''def make_model_parallel(mesh):
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map["hidden/kernel"] = (None, "model")
    layout_map["hidden/bias"] = ("model",)
    layout_map["logits/kernel"] = ("model", None)
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")'''},
        "scores": {"layout-map-tests": 0},
    },
    "indivisible-batch": {
        "why": "a global batch of 250 rows, which does not divide by 4 devices",
        "notebook": NOTEBOOK,
        "edits": {"throughput": '''STRONG_BATCH = 250
PER_DEVICE_BATCH = 128
strong_runs = [(n, STRONG_BATCH) for n in device_counts]
weak_runs = [(n, PER_DEVICE_BATCH * n) for n in device_counts]
measured = keras_05.measure_throughput(strong_runs + weak_runs)
strong_throughput = dict(zip(device_counts, measured[: len(device_counts)]))
weak_throughput = dict(zip(device_counts, measured[len(device_counts):]))'''},
        "scores": {"throughput-tests": 0},
    },
    "typed-in-throughput": {
        "why": "throughputs typed in (made-up numbers with ideal scaling) instead of measured",
        "notebook": NOTEBOOK,
        "edits": {"throughput": '''STRONG_BATCH = 512
PER_DEVICE_BATCH = 128
strong_throughput = {1: 1000.0, 2: 2000.0, 4: 4000.0}
weak_throughput = {1: 1000.0, 2: 2000.0, 4: 4000.0}'''},
        "scores": {"throughput-tests": 0},
    },
    "replicated-batch-inverted-speedup": {
        "why": "shard_batch copies the whole batch to every device instead of splitting its rows, and "
               "scaling divides the 1-device throughput by the others (a time ratio turned upside down)",
        "notebook": NOTEBOOK,
        "edits": {
            "data-parallel": '''def make_data_parallel():
    return keras.distribution.DataParallel(devices=keras.distribution.list_devices())


def shard_batch(distribution, batch):
    replicated = keras.distribution.TensorLayout((None, None), distribution.device_mesh)
    return keras.distribution.distribute_tensor(batch, replicated)''',
            "scaling": '''def scaling(throughput):
    if 1 not in throughput:
        raise ValueError("no 1-device throughput")
    speedup = {n: throughput[1] / samples for n, samples in throughput.items()}
    return speedup, {n: s / n for n, s in speedup.items()}'''},
        "scores": {"data-parallel-tests": 0, "scaling-tests": 0},
    },
}

"""Module 05's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, hard-coded throughputs), and these."""

WITH_SAMPLES = True

CASES = {
    "slow": {
        "why": "the smallest batches allowed (64 rows): every step does less work, the throughputs are "
               "lower, and measured honestly they agree with the grader's (full marks)",
        "edits": {
            "throughput": '''STRONG_BATCH = 64
PER_DEVICE_BATCH = 64
strong_runs = [(n, STRONG_BATCH) for n in device_counts]
weak_runs = [(n, PER_DEVICE_BATCH * n) for n in device_counts]
measured = keras_05.measure_throughput(strong_runs + weak_runs)
strong_throughput = dict(zip(device_counts, measured[: len(device_counts)]))
weak_throughput = dict(zip(device_counts, measured[len(device_counts):]))''',
        },
    },
    "memoised": {
        "why": "scaling remembers its answers (keyed by the table's items): the tests' fresh tables give "
               "it nothing to reuse, and it is still right (full marks)",
        "edits": {
            "scaling": '''_known = {}


def scaling(throughput):
    key = tuple(sorted(throughput.items()))
    if key not in _known:
        if 1 not in throughput:
            raise ValueError("no 1-device throughput")
        speedup = {n: samples / throughput[1] for n, samples in throughput.items()}
        _known[key] = speedup, {n: s / n for n, s in speedup.items()}
    return _known[key]''',
        },
    },
}

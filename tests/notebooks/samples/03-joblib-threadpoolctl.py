"""Wrong answers to module 03 and the points each must keep (unnamed cells keep full marks).

The three exercises are graded independently, so each sample carries one wrong answer to each
of them: three notebook runs instead of nine.
"""

NOTEBOOK = "03-joblib-threadpoolctl.ipynb"

SAMPLES = {
    "sequential-one-by-one-no-limits": {
        "why": "parallel_map with n_jobs=1 (sequential in disguise); BATCH_SIZE = 1 (no faster than "
               "the default); products_limited keeps inner_max_num_threads=GREEDY_THREADS (no limits)",
        "notebook": NOTEBOOK,
        "edits": {
            "parallel-map": '''def parallel_map(fn, items, n_jobs=WORKERS):
    return Parallel(n_jobs=1)(delayed(fn)(x) for x in items)''',
            "batch-size": "BATCH_SIZE = 1",
            "products-limited": '''def products_limited(seeds):
    with parallel_config(backend="loky", inner_max_num_threads=GREEDY_THREADS):
        return Parallel(n_jobs=WORKERS)(delayed(workloads_03.matrix_products)(seed) for seed in seeds)''',
        },
        "scores": {"parallel-map-tests": 0, "batch-size-tests": 0, "products-limited-tests": 0},
    },
    "unordered-in-kernel-kernel-limits": {
        "why": 'parallel_map with return_as="generator_unordered" (completion order); run_in_batches '
               "that calls batch_fn on all items in the kernel; threadpool_limits around the call, which "
               "limits the kernel's BLAS and not the workers'",
        "notebook": NOTEBOOK,
        "edits": {
            "parallel-map": '''def parallel_map(fn, items, n_jobs=WORKERS):
    return list(Parallel(n_jobs=n_jobs, return_as="generator_unordered")(delayed(fn)(x) for x in items))''',
            "run-in-batches": '''def run_in_batches(batch_fn, items, batch_size, n_jobs=WORKERS):
    return batch_fn(items)''',
            "products-limited": '''def products_limited(seeds):
    with threadpool_limits(limits=1, user_api="blas"):
        return products_oversubscribed(seeds)''',
        },
        "scores": {"parallel-map-tests": 0, "batch-size-tests": 0, "products-limited-tests": 0},
    },
    "threads-strided-batches-kernel-products": {
        "why": "parallel_map on threads (the GIL); run_in_batches with strided batches (wrong order); "
               "products_limited with one BLAS thread but run in the kernel (n_jobs=1)",
        "notebook": NOTEBOOK,
        "edits": {
            "parallel-map": '''def parallel_map(fn, items, n_jobs=WORKERS):
    return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(fn)(x) for x in items)''',
            "run-in-batches": '''def run_in_batches(batch_fn, items, batch_size, n_jobs=WORKERS):
    count = max(1, -(-len(items) // batch_size))
    parts = Parallel(n_jobs=n_jobs)(delayed(batch_fn)(items[i::count]) for i in range(count))
    return [result for part in parts for result in part]''',
            "products-limited": '''def products_limited(seeds):
    with threadpool_limits(limits=1, user_api="blas"):
        return Parallel(n_jobs=1)(delayed(workloads_03.matrix_products)(seed) for seed in seeds)''',
        },
        "scores": {"parallel-map-tests": 0, "batch-size-tests": 0, "products-limited-tests": 0},
    },
}

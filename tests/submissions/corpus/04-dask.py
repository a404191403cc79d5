"""Module 04's part of the submission corpus (see tests/submissions/corpus.py for the format): the
notebook tier's wrong-answer samples (partially correct, slow but correct), and the cheats."""

WITH_SAMPLES = True

CASES = {
    "memoised": {
        "why": "recent_means computes each answer once and remembers it: right means, but no lazy "
               "pipeline to return or to inspect",
        "edits": {
            "recent-means": '''_known = {}


def recent_means(path, first_day):
    key = (str(path), first_day)
    if key not in _known:
        sales = dd.read_parquet(path, columns=["day", "store", "amount"], filters=[("day", ">=", first_day)])
        sales = sales[(sales.day >= first_day) & (sales.amount > 0)]
        _known[key] = sales.groupby("store").amount.mean().compute()
    return _known[key]''',
        },
        "scores": {"recent-means-lazy-tests": 0, "recent-means-reads-tests": 0},
    },
    "hard-coded": {
        "why": "recent_means returns the visible test's answer, worked out once with pandas, whatever "
               "files it is given",
        "edits": {
            "recent-means": '''_sales = pd.read_parquet(sales_dir)
_answer = _sales[(_sales.day >= 25) & (_sales.amount > 0)].groupby("store").amount.mean()


def recent_means(path, first_day):
    return _answer''',
        },
        "scores": {"recent-means-tests": 0, "recent-means-lazy-tests": 0, "recent-means-reads-tests": 0},
    },
}

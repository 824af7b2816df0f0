"""How long find_authority takes on a letter's opening 2,000 characters (target: under 1 ms a call).

Run by hand (timings do not belong in the test suite):

    python benchmarks/bench_authority.py
"""

from __future__ import annotations

import time

from ofsted_nlp import find_authority

TEXT = (
    "Ofsted, Piccadilly Gate, Store Street, Manchester M1 2WD. 18 December 2019. "
    "Dear Ms Smith, Focused visit to Bournemouth, Christchurch and Poole children's services. "
)
TEXT = (TEXT + "This letter summarises the findings of a focused visit; inspectors looked at "
        "the local authority's arrangements for children in need. " * 30)[:2000]
TARGET_SECONDS = 1e-3


def mean_seconds(n: int = 100) -> float:
    start = time.perf_counter()
    for _ in range(n):
        find_authority(TEXT)
    return (time.perf_counter() - start) / n


def main() -> None:
    found = find_authority(TEXT)  # the first call loads the table and builds the index
    best = min(mean_seconds() for _ in range(5))
    print(f"find_authority on 2,000 characters: {best * 1e3:.3f} ms a call (best of 5 x 100; "
          f"target {TARGET_SECONDS * 1e3:.0f} ms) -> {found.la_name if found else None}")


if __name__ == "__main__":
    main()

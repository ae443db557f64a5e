"""Validating the fragment bomb: the gateway's one pass against strawberry's limiters.

Fragments that each spread the next twice, under two links (`tests.api.test_limits`): the
library walks a fragment again at every spread (2^levels walks), the gateway's pass
measures each fragment once. Prints the time of each, per document, and their ratio.

    .venv/bin/python benchmarks/limits.py [--levels 12 14 16] [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from graphql import parse, validate
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

sys.path.insert(0, str(Path(__file__).parents[1]))

from gateway.api.limits import Limits, check
from gateway.api.schema import create_schema
from tests.api.test_limits import fragment_bomb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[12, 14, 16])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    schema = create_schema()._schema
    rules = [
        *QueryDepthLimiter(max_depth=100).validation_rules,
        *MaxAliasesLimiter(max_alias_count=10**9).validation_rules,
    ]
    print(f"{'levels':>6} {'one pass (ms)':>14} {'strawberry (ms)':>16} {'ratio':>8}")
    for levels in args.levels:
        document = parse(fragment_bomb(levels))
        begin = time.perf_counter()
        for _ in range(args.repeat):
            check(schema, document, None, {}, Limits(max_depth=100))
        ours = (time.perf_counter() - begin) / args.repeat
        begin = time.perf_counter()
        validate(schema, document, rules)
        theirs = time.perf_counter() - begin
        print(f"{levels:>6} {ours * 1e3:>14.3f} {theirs * 1e3:>16.1f} {theirs / ours:>8.0f}")
    bomb = parse(fragment_bomb(24))
    begin = time.perf_counter()
    check(schema, bomb, None, {}, Limits(max_depth=100))
    took = (time.perf_counter() - begin) * 1e3
    print(
        f"24 levels (issue 9's bomb), one pass: {took:.3f} ms; strawberry about doubles per level"
    )


if __name__ == "__main__":
    main()

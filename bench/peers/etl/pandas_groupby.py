"""pandas doing the ETL scenario's group-by (bench/scenarios/etl.ts), as a pandas user would write it.

    python pandas_groupby.py csv|parquet INPUT OUTPUT.csv

Same semantics as Ferry's SQL: per (city, category), ordered by both: orders = count of rows,
quantity = sum, amount = sum, avg_amount = mean. Prints one JSON line: rows written, importMs
(import pandas) and engineMs (read + group-by + write, the span Ferry's runner logs as its query).
"""

import json
import sys
import time

started = time.perf_counter()
import pandas as pd  # noqa: E402 — timed on purpose

COLUMNS = ["city", "category", "amount", "quantity"]


def main(fmt: str, source: str, output: str) -> None:
    imported = time.perf_counter()
    if fmt == "csv":
        orders = pd.read_csv(source, usecols=COLUMNS)
    else:
        orders = pd.read_parquet(source, columns=COLUMNS)
    result = (
        orders.groupby(["city", "category"], sort=True)
        .agg(
            orders=("amount", "size"),
            quantity=("quantity", "sum"),
            amount=("amount", "sum"),
            avg_amount=("amount", "mean"),
        )
        .reset_index()
    )
    result.to_csv(output, index=False)
    done = time.perf_counter()
    print(json.dumps({"rows": len(result), "importMs": (imported - started) * 1000, "engineMs": (done - imported) * 1000}))


if __name__ == "__main__":
    main(*sys.argv[1:4])

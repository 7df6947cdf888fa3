"""polars doing the ETL scenario's group-by (bench/scenarios/etl.ts), as a polars user would write it:
a lazy scan, so polars reads only the columns the query needs (as DuckDB does).

    python polars_groupby.py csv|parquet INPUT OUTPUT.csv

Same semantics as Ferry's SQL: per (city, category), ordered by both: orders = count of rows,
quantity = sum, amount = sum, avg_amount = mean. Prints one JSON line: rows written, importMs
(import polars) and engineMs (read + group-by + write, the span Ferry's runner logs as its query).
"""

import json
import sys
import time

started = time.perf_counter()
import polars as pl  # noqa: E402 — timed on purpose


def main(fmt: str, source: str, output: str) -> None:
    imported = time.perf_counter()
    orders = pl.scan_csv(source) if fmt == "csv" else pl.scan_parquet(source)
    result = (
        orders.group_by("city", "category")
        .agg(
            pl.len().alias("orders"),
            pl.col("quantity").sum(),
            pl.col("amount").sum(),
            pl.col("amount").mean().alias("avg_amount"),
        )
        .sort("city", "category")
        .collect()
    )
    result.write_csv(output)
    done = time.perf_counter()
    print(json.dumps({"rows": result.height, "importMs": (imported - started) * 1000, "engineMs": (done - imported) * 1000}))


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""`motcua registers merge FILE [FILE ...] --out CLUSTERS.csv [--engine duckdb|spark]`,
`merge-spark INPUT [INPUT ...] --out-dir DIR|URI [--format registers|parquet] [--normalised]` (a province
on Spark, records never on the driver: ``spark_pipeline.merge_on_spark``),
`convert-addresses IN --out OUT.csv`, `export-national JOB_FOLDER|records.parquet --out OUT.csv|.xlsx`,
plus `generate`, `score` and `baseline` (the evaluation tools)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.registers.addresses import convert_file
from motcua.registers.evaluation.__main__ import main as evaluation_main
from motcua.registers.national_export import export_file
from motcua.registers.pipeline import registers_merge, write_clusters, write_review_pairs

_EVALUATION = ("generate", "score", "baseline")


class Command(BaseCommand):
    help = "Hợp nhất sổ đăng ký của các phường cũ (merge), và công cụ đánh giá (generate, score, baseline)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="sub", required=True)
        merge = sub.add_parser("merge", help="hợp nhất các sổ: mỗi bản ghi một person_id")
        merge.add_argument("files", nargs="+", type=Path)
        merge.add_argument("--out", type=Path, required=True, help="CLUSTERS.csv (record_id,person_id)")
        merge.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        merge.add_argument("--review-out", type=Path, help="các cặp chưa chắc chắn, để rà soát (CSV)")
        spark = sub.add_parser(
            "merge-spark",
            help="hợp nhất ở quy mô tỉnh trên Spark: đọc, chuẩn hoá và ghi kết quả (parquet) trên cụm",
        )
        spark.add_argument(
            "inputs",
            nargs="+",
            help="--format registers: các tệp sổ CSV/.xlsx; parquet: tệp, thư mục hoặc URI (hdfs://, s3a://)",
        )
        spark.add_argument("--out-dir", required=True, help="thư mục hoặc URI nhận kết quả (parquet)")
        spark.add_argument(
            "--format",
            choices=["registers", "parquet"],
            default="registers",
            dest="input_format",
            help="registers: sổ CSV/.xlsx đọc như khi tải lên; parquet: các cột io.COLUMNS",
        )
        spark.add_argument(
            "--normalised",
            action="store_true",
            help="đầu vào đã chuẩn hoá (các cột của registers-contract.md)",
        )
        spark.add_argument("--seed", type=int, default=0)
        convert = sub.add_parser("convert-addresses", help="chuyển địa chỉ cũ sang đơn vị hành chính mới")
        convert.add_argument("input", type=Path, help="IN.csv hoặc IN.xlsx")
        convert.add_argument("--out", type=Path, required=True, help="OUT.csv")
        convert.add_argument(
            "--column", default="", help="tên cột địa chỉ (mặc định: cột có tên chứa «địa chỉ»)"
        )
        national = sub.add_parser(
            "export-national",
            help="xuất danh sách hợp nhất theo bố cục CSDLQG về dân cư (mỗi người một dòng)",
        )
        national.add_argument(
            "input", type=Path, help="thư mục đợt hợp nhất (job-N hoặc run-N) hoặc records.parquet"
        )
        national.add_argument("--out", type=Path, required=True, help="OUT.csv hoặc OUT.xlsx")
        for name in _EVALUATION:
            sub.add_parser(name, help=f"công cụ đánh giá: {name} (motcua registers {name} --help)")

    def run_from_argv(self, argv: list[str]) -> None:
        # The evaluation tools keep their own argument parser: hand them the rest of the line.
        if len(argv) > 2 and argv[2] in _EVALUATION:
            raise SystemExit(evaluation_main(argv[2:]))
        super().run_from_argv(argv)

    def handle(self, *args: object, **options: object) -> None:
        if options["sub"] == "convert-addresses":
            self._convert_addresses(options)
            return
        if options["sub"] == "merge-spark":
            self._merge_spark(options)
            return
        if options["sub"] == "export-national":
            self._export_national(options)
            return
        files: list[Path] = options["files"]  # type: ignore[assignment]
        try:
            report = registers_merge(
                paths=files,
                now=clock.now(),
                engine=str(options["engine"]),
                progress=lambda step, fraction: self.stderr.write(f"{int(fraction * 100):3d}% {step}"),
            )
        except ValidationFailed as exc:
            raise CommandError("\n".join([exc.message, *exc.details])) from exc
        assert report.result is not None
        write_clusters(result=report.result, out=options["out"])  # type: ignore[arg-type]
        if options.get("review_out"):
            write_review_pairs(result=report.result, out=options["review_out"])  # type: ignore[arg-type]
        self.stdout.write(
            json.dumps(
                {"records": report.records, "persons": report.persons, "review_pairs": report.review_pairs,
                 "seconds": round(report.seconds, 1), "timings": {k: round(v, 1) for k, v in report.timings.items()}},
                ensure_ascii=False,
            )
        )  # fmt: skip

    def _merge_spark(self, options: dict[str, object]) -> None:
        from motcua.registers.spark_pipeline import merge_on_spark

        try:
            stats = merge_on_spark(
                [str(i) for i in options["inputs"]],  # type: ignore[attr-defined]
                out_dir=str(options["out_dir"]),
                now=clock.now(),
                fmt=str(options["input_format"]),
                normalised=bool(options["normalised"]),
                seed=int(options["seed"]),  # type: ignore[call-overload]
            )
        except ValueError as exc:  # InputRefused (an unreadable input included), or a bad argument
            raise CommandError(str(exc), returncode=2) from exc
        keys = ("n_records", "n_persons", "n_review_pairs", "n_sources", "outputs", "timings", "warnings")
        self.stdout.write(json.dumps({k: stats[k] for k in keys if k in stats}, ensure_ascii=False))

    def _convert_addresses(self, options: dict[str, object]) -> None:
        src: Path = options["input"]  # type: ignore[assignment]
        out: Path = options["out"]  # type: ignore[assignment]
        try:
            summary = convert_file(src=src, out=out, column=str(options.get("column") or ""))
        except ValidationFailed as exc:
            raise CommandError("\n".join([exc.message, *exc.details]), returncode=2) from exc
        self.stdout.write(summary)

    def _export_national(self, options: dict[str, object]) -> None:
        src: Path = options["input"]  # type: ignore[assignment]
        out: Path = options["out"]  # type: ignore[assignment]
        try:
            summary = export_file(src=src, out=out, now=clock.now())
        except ValidationFailed as exc:
            raise CommandError("\n".join([exc.message, *exc.details]), returncode=2) from exc
        self.stdout.write(summary)

"""Wall time of the CLI commands that need no model (`docs`, `targets`, `brief`, `quiz`), each a
fresh process as a user runs it, plus what their imports cost.

    python benchmarks/cli_startup.py [--data-dir DIR | --corpus PATH ...] [--runs 5]

Without --data-dir it indexes --corpus (default corpus/) into a temporary folder first. Prints a
Markdown table: median, min and max seconds per command over --runs runs, and whether the process
imported torch; then the ten costliest imports of `assistant targets` (python -X importtime).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [["docs"], ["targets"], ["targets", "--json"], ["brief"], ["quiz", "--n", "10"], ["--help"]]
PROBE = ("import runpy, sys; sys.argv = ['assistant', *sys.argv[1:]]\n"
         "try:\n    runpy.run_module('assistant.cli', run_name='__main__')\n"
         "finally:\n    print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _time(args: list[str], data_dir: Path) -> tuple[float, bool]:
    extra = [] if args == ["--help"] else ["--data-dir", str(data_dir)]
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE, *args, *extra], capture_output=True, text=True, env=_env())
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"`assistant {' '.join(args)}` failed: {out.stderr.strip().splitlines()[-2:]}")
    return seconds, "NO-TORCH" not in out.stderr


def _imports(data_dir: Path, top: int = 10) -> list[tuple[str, float]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, "targets", "--data-dir", str(data_dir)],
                         capture_output=True, text=True, env=_env())
    cumulative = {}
    for line in out.stderr.splitlines():
        if m := re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line):
            if len(m.group(2)) <= 3:  # top-level imports and their direct children
                cumulative[m.group(3).strip()] = int(m.group(1)) / 1e6
    return sorted(cumulative.items(), key=lambda kv: -kv[1])[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="an existing index (default: build one from --corpus)")
    ap.add_argument("--corpus", type=Path, nargs="*", default=[ROOT / "corpus"])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="cli-startup-")
        data_dir = Path(tmp.name)
        subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", *map(str, args.corpus), "--data-dir",
                        str(data_dir), "--json"], check=True, capture_output=True, env=_env())
    print(f"CLI start-up, {args.runs} runs each, index {data_dir} ({os.cpu_count()} CPU cores)\n")
    print("| command | median s | min s | max s | imports torch |")
    print("|---|---:|---:|---:|---|")
    for command in COMMANDS:
        _time(command, data_dir)  # warm the page cache: every run after the first sees the same files
        runs = [_time(command, data_dir) for _ in range(args.runs)]
        seconds = [s for s, _ in runs]
        print(f"| `assistant {' '.join(command)}` | {statistics.median(seconds):.2f} | {min(seconds):.2f} | "
              f"{max(seconds):.2f} | {'yes' if any(t for _, t in runs) else 'no'} |")
    print("\nCostliest imports of `assistant targets` (cumulative s, python -X importtime):\n")
    print("| module | s |")
    print("|---|---:|")
    for name, seconds in _imports(data_dir):
        print(f"| {name} | {seconds:.2f} |")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""`make bench`: the benchmark driver. Not written yet (see the performance issue); says so and fails."""
import sys

print("bench: the benchmark suite (B1-B6 against bench/bare_app.py) is not implemented yet.", file=sys.stderr)
sys.exit(1)

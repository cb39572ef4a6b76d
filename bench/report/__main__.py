"""`python -m bench.report`: rewrite the report from the results on disk."""

from bench.report.document import write_report

if __name__ == "__main__":
    print(write_report())

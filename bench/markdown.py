"""The Markdown tables the benchmark scripts print for BENCHMARKS.md."""


def table(header, rows):
    """Prints a Markdown table (nothing when there are no rows), then a blank line."""
    if not rows:
        return
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    for r in rows:
        print('| ' + ' | '.join(str(x) for x in r) + ' |')
    print()

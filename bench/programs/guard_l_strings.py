# The guard's copy of l_strings.py (bench/guard.py), scaled down for callgrind.
# String building and formatting: s += x in a function, f-strings, %, format, join (issue 21).
def build(n):
    s = ""
    for i in range(n):
        s += "x"
    return s


def fmt(n):
    parts = []
    for i in range(n):
        parts.append(f"{i}:{i * 2:>6}|" + "%d-%s" % (i, "a") + "{}".format(i % 7))
    return ",".join(parts)


def main():
    s = build(15_000)
    t = fmt(3_000)
    print(len(s), len(t), t[:40])


main()

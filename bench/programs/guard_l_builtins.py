# The guard's copy of l_builtins.py (bench/guard.py), scaled down for callgrind.
# Built-in functions and str/list methods called from a loop (issue 21's suite): len, str,
# int, min/max, abs, isinstance, and split/join/upper/replace/find/startswith/append/index.
def main():
    words = "the quick brown fox jumps over the lazy dog".split()
    total = 0
    out = []
    for i in range(3_000):
        w = words[i % 9]
        s = str(i)
        total += len(w) + len(s) + abs(i - 30_000) % 7 + min(i % 5, 3) + max(len(w), 4)
        if isinstance(w, str) and w.startswith("t"):
            total += w.find("e") + int(s[-1])
        line = "-".join([w.upper(), s, w.replace("o", "0")])
        out.append(line)
        total += len(line.split("-")) + out.index(line) % 3
        if len(out) > 50:
            out.clear()
    print(total, out[-1])


main()

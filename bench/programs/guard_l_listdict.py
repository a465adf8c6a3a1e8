# The guard's copy of l_listdict.py (bench/guard.py), scaled down for callgrind.
# A list/dict-heavy loop: appends, indexing, dict counting, membership (issue 21's suite).
def main():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    counts = {}
    seen = []
    for i in range(10_000):
        w = words[i % 8]
        counts[w] = counts.get(w, 0) + 1
        if i % 1000 == 0:
            seen.append(w)
        key = i % 5000
        counts[key] = counts.get(key, 0) + i
    total = 0
    for k in counts:
        if k in counts:
            total += 1
    print(len(counts), len(seen), total, counts["beta"])


main()

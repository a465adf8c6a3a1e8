# The guard's copy of l_comprehensions.py (bench/guard.py), scaled down for callgrind.
# Comprehensions, sorted with a key, min/max, sum (issue 21's suite).
def main():
    total = 0
    for r in range(2):
        xs = [i * 3 % 1001 for i in range(5000)]
        evens = [x for x in xs if x % 2 == 0]
        pairs = sorted(evens, key=lambda v: -v)
        total += sum(pairs[:10]) + max(xs) - min(xs) + len([p for p in pairs if p > 500])
    print(total)


main()

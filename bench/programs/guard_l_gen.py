# The guard's copy of l_gen.py (bench/guard.py), scaled down for callgrind.
# Generators (issue 20's language suite): a generator function driven by `for`, a generator
# expression consumed by `sum`, `yield from`, and `next`.
def numbers(n):
    i = 0
    while i < n:
        yield i
        i += 1


def evens(n):
    yield from (x for x in numbers(n) if x % 2 == 0)


def main():
    total = 0
    for r in range(1):
        for x in numbers(10000):
            total += x
        total += sum(x * x for x in range(10000))
        total += sum(evens(5000))
        g = numbers(1000)
        total += next(g) + next(g)
    print(total)


main()

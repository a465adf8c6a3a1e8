# The guard's copy of l_calls.py (bench/guard.py), scaled down for callgrind.
# Function calls with keyword and default arguments, and closures (issue 21's suite).
def add(a, b=1, *, scale=1):
    return (a + b) * scale


def make_counter():
    n = 0

    def bump(k):
        nonlocal n
        n += k
        return n

    return bump


def main():
    total = 0
    bump = make_counter()
    for i in range(15_000):
        total += add(i)
        total += add(i, 2, scale=3)
        bump(1)
    print(total, bump(0))


main()

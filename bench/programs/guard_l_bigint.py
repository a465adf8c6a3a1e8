# The guard's copy of l_bigint.py (bench/guard.py), scaled down for callgrind.
# Integers of any size: factorial(2000) by a loop of big-int multiplications, and its
# 5,736 decimal digits printed (past CPython 3.11's default 4300-digit limit, hence the call).
import sys

sys.set_int_max_str_digits(0)


def fact(n):
    f = 1
    for i in range(2, n + 1):
        f *= i
    return f


total = 0
for _ in range(4):
    s = str(fact(2000))
    total += len(s)
print(total)
print(s)

# The guard's copy of l_fib.py (bench/guard.py), scaled down for callgrind.
# Recursion: the classic fib (issue 21's suite).
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


print(fib(20))

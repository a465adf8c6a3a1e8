import functools
import threading


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@functools.lru_cache(maxsize=2)
def slow_square(x):
    return x * x


results = {}
lock = threading.Lock()


def worker(n):
    value = fib(n)
    with lock:
        results[n] = value


threads = [threading.Thread(target=worker, args=(n,)) for n in (30, 60, 90)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.items()))
print(fib(100), fib.cache_info().currsize)
for x in [1, 2, 1, 3, 2, 1]:
    slow_square(x)
print(slow_square.cache_info())
slow_square.cache_clear()
print(slow_square.cache_info(), slow_square.__name__)

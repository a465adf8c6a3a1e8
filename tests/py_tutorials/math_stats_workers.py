import math
import threading

numbers = list(range(1, 101))
stats = {}
lock = threading.Lock()


def compute(name, fn):
    value = fn(numbers)
    with lock:
        stats[name] = value


jobs = {
    "sum": sum,
    "mean": lambda xs: sum(xs) / len(xs),
    "std": lambda xs: math.sqrt(sum((x - 50.5) ** 2 for x in xs) / len(xs)),
    "gcd": lambda xs: math.gcd(*xs[:10]),
    "prod_mod": lambda xs: math.prod(xs) % 1_000_003,
}
threads = [threading.Thread(target=compute, args=item) for item in jobs.items()]
for t in threads:
    t.start()
for t in threads:
    t.join()
for k in sorted(stats):
    print(k, stats[k])
print(math.pi, math.e, math.inf, math.floor(-2.5), math.ceil(2.1))
print(math.isqrt(10 ** 20), math.comb(50, 25), math.perm(10, 3))
print(round(math.log(1000, 10), 9), math.hypot(3, 4), math.isclose(0.1 + 0.2, 0.3))

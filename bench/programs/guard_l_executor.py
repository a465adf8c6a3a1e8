# The guard's copy of l_executor.py (bench/guard.py), scaled down for callgrind.
# concurrent.futures (issue 20): 20,000 small tasks through a ThreadPoolExecutor of 4
# workers: submit, the work queue, each Future's Condition, result().
from concurrent.futures import ThreadPoolExecutor


def work(n):
    return n * n % 7


def main():
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(work, i) for i in range(500)]
        total = sum(f.result() for f in futures)
        total += sum(pool.map(work, range(125)))
    print(total)


main()

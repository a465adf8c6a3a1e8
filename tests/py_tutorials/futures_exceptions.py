from concurrent.futures import ThreadPoolExecutor, wait, ALL_COMPLETED


def risky(n):
    if n % 3 == 0:
        raise ValueError(f"bad input {n}")
    return n * 10


with ThreadPoolExecutor(max_workers=2) as pool:
    futures = [pool.submit(risky, i) for i in range(1, 8)]
    done, not_done = wait(futures, return_when=ALL_COMPLETED)
    print(len(done), len(not_done))
    for i, f in enumerate(futures, 1):
        exc = f.exception()
        if exc is not None:
            print(i, "failed:", type(exc).__name__, exc)
        else:
            print(i, "->", f.result())
    f = pool.submit(risky, 3)
    try:
        f.result()
    except ValueError as e:
        print("caught", repr(e))
    print(f.done(), f.cancelled())

from concurrent.futures import ThreadPoolExecutor


def square(n):
    return n * n


with ThreadPoolExecutor(max_workers=4) as executor:
    results = list(executor.map(square, range(10)))
print("Squares:", results)

with ThreadPoolExecutor() as executor:
    futures = [executor.submit(pow, 2, n) for n in range(0, 101, 25)]
    for f in futures:
        print(f.result())
print("Sum:", sum(results))

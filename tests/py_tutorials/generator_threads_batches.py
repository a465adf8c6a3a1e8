import threading
from concurrent.futures import ThreadPoolExecutor


def batches(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def process(batch):
    return sum(x * x for x in batch)


with ThreadPoolExecutor(max_workers=3, thread_name_prefix="batcher") as ex:
    totals = list(ex.map(process, batches(range(1, 24), 5)))
print(totals, sum(totals))
gen = (n for n in range(100) if n % 7 == 0)
print(14 in gen, next(gen))
print(list(zip(range(3), batches("abcdefg", 3))))
print(dict(enumerate(batches([1, 2, 3], 2))))

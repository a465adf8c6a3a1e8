import threading, random, logging, queue
from collections import defaultdict, deque
import itertools

random.seed(2024)
matrix = [[random.randint(0, 9) for _ in range(4)] for _ in range(4)]
print(matrix)
result = [[0] * 4 for _ in range(4)]
def row_worker(r):
    for c in range(4):
        result[r][c] = sum(matrix[r][k] * matrix[k][c] for k in range(4))
ts = [threading.Thread(target=row_worker, args=(r,)) for r in range(4)]
for t in ts: t.start()
for t in ts: t.join()
for row in result: print(row)
graph = defaultdict(list)
for a, b in [(1, 2), (1, 3), (2, 4), (3, 4), (4, 5)]:
    graph[a].append(b)
seen, order, dq = {1}, [], deque([1])
while dq:
    n = dq.popleft(); order.append(n)
    for m in graph[n]:
        if m not in seen:
            seen.add(m); dq.append(m)
print(order)
pq = queue.PriorityQueue()
for p, name in [(2, "b"), (1, "a"), (3, "c")]:
    pq.put((p, name))
print([pq.get()[1] for _ in range(3)])
print(list(itertools.combinations(range(4), 3)), len(list(itertools.permutations("abcd"))))
words = random.sample(["x", "y", "z", "w"], 4)
print(words, random.choice(words), random.random() < 1)
print(random.gauss(0, 1) != 0.5, round(random.uniform(0, 1), 4))
rs = random.Random(99)
print(rs.sample(range(50), 3), rs.randrange(10), rs.choice("abc"), rs.shuffle([1, 2]) is None)

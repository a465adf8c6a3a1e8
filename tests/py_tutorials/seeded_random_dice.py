import random
import threading

random.seed(42)
rolls = [random.randint(1, 6) for _ in range(10)]
print(rolls)
print(random.choice(["rock", "paper", "scissors"]))
deck = list(range(1, 11))
random.shuffle(deck)
print(deck)
print(random.sample(range(100), 5))
print(round(random.uniform(1, 10), 6))
print(random.randrange(0, 100, 5))
print(round(random.random(), 10))

rng = random.Random(7)
print([rng.randint(1, 100) for _ in range(5)])

totals = {}
lock = threading.Lock()


def roller(name, seed):
    r = random.Random(seed)
    s = sum(r.randint(1, 6) for _ in range(100))
    with lock:
        totals[name] = s


ts = [threading.Thread(target=roller, args=(f"p{i}", i)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(totals.items()))

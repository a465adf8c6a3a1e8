# Each random function after random.seed(s), for many seeds: CPython's exact values.
import random

seeds = list(range(-25, 60)) + [2**31, 2**32 - 1, 2**32, 2**64 + 7, -(3**80), "", "a", "gilvm", "ünï"]
for s in seeds:
    random.seed(s)
    row = [random.random(), random.randint(-5, 5), random.randrange(1000), random.randrange(3, 300, 4),
           random.randrange(50, 0, -3), random.choice(["a", "b", "c", "d", "e"]), random.uniform(-1, 1),
           random.getrandbits(1), random.getrandbits(31), random.getrandbits(32), random.getrandbits(33),
           random.getrandbits(64), random.getrandbits(65), random.randrange(2**64), random.randint(0, 2**100)]
    deck = list(range(52))
    random.shuffle(deck)
    row.append(deck[:8])
    row.append(random.sample(range(10), 10))
    row.append(random.sample(range(10**6), 6))
    row.append(random.sample("abcdefghijklmnopqrstuvwxyz", 4))
    row.append(random.choices(range(7), k=6))
    row.append(random.choices("abc", weights=[1, 0, 3], k=5))
    row.append(random.choices("abc", cum_weights=[0.5, 0.6, 3.2], k=3))
    row.append(random.sample(["x", "y", "z"], 2, counts=[1, 5, 2]))
    row.append(random.gauss(10, 3))
    print(s, row)
r1, r2 = random.Random(5), random.Random("five")
print([r1.randint(1, 6) for _ in range(10)], [r2.random() for _ in range(3)])
r1.seed(5)
print(r1.randint(1, 6), r1.choice("xyz"), r1.sample(range(5), 3))

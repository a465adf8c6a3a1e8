import random
for s in [0, 1, 42, -7, 2**40 + 3, 12345678901234, "hello", "", 3**50]:
    random.seed(s)
    print(s, random.random(), random.randint(1, 100), random.randrange(10), random.randrange(5, 500, 7),
          random.choice("abcdefg"), random.uniform(1, 2), random.getrandbits(5), random.getrandbits(100))
    l = list(range(20)); random.shuffle(l); print(l)
    print(random.sample(range(100), 5), random.sample(list(range(1000)), 8), random.choices("xyz", k=5),
          random.choices([1, 2, 3], weights=[5, 1, 1], k=4), random.gauss(0, 1), random.gauss(5, 2),
          random.randrange(2**70), random.randint(-10**20, 10**20))
r = random.Random(99)
print(r.random(), r.randint(0, 9), r.choice([1, 2, 3]))

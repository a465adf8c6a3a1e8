import threading

N = 5
forks = [threading.Lock() for _ in range(N)]
meals = [0] * N


def philosopher(i):
    left, right = i, (i + 1) % N
    first, second = min(left, right), max(left, right)
    for _ in range(20):
        with forks[first]:
            with forks[second]:
                meals[i] += 1


threads = [threading.Thread(target=philosopher, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(meals, sum(meals))

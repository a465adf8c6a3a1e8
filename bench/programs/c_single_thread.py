# (c) One thread, 4,000,000 increments of a global, no threads started.
counter = 0

def increment():
    global counter
    for _ in range(4_000_000):
        counter += 1

increment()
print(counter)
